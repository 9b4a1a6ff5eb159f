"""The notification floor: the same letters rendered and sent to the same SMTP sink in one plain
loop over one connection (jinja2 + email + smtplib; no database, queue or app). Run as a fresh
process: ``python -m bench.notify_floor <spec.json>``; prints {"seconds": ...} as JSON."""
import json
import smtplib
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid

import jinja2


def main(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        spec = json.load(fh)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["cndate"] = lambda d: str(d)
    t0 = time.perf_counter()
    subject, body = env.from_string(spec["subject"]), env.from_string(spec["body"])
    smtp = smtplib.SMTP("127.0.0.1", spec["port"])
    for ctx in spec["contexts"]:
        ctx = {**spec["base"], **ctx}
        msg = EmailMessage()
        msg["Subject"] = " ".join(subject.render(ctx).split())
        msg["From"] = spec["sender"]
        msg["To"] = ctx["_to"]
        msg["Message-ID"] = make_msgid(domain="floor.bench")
        msg.set_content(body.render(ctx).strip() + "\n")
        smtp.sendmail(spec["sender"], [ctx["_to"]], msg.as_bytes())
    smtp.quit()
    print(json.dumps({"seconds": time.perf_counter() - t0, "sent": len(spec["contexts"])}))


if __name__ == "__main__":
    main(sys.argv[1])
