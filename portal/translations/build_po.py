"""Regenerate en/LC_MESSAGES/messages.po: extract msgids, fill from en_glossary.EN and each
feature's own glossary (``en_<feature>.py`` beside it, a dict ``EN``: one file per feature, so
that features add their English without touching each other's lines)."""
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from en_glossary import EN, EN_CONTEXT  # noqa: E402

for path in sorted(HERE.glob("en_*.py")):
    if path.stem == "en_glossary":
        continue
    for key, value in importlib.import_module(path.stem).EN.items():
        if key in EN and EN[key] != value:
            sys.exit(f"{path.name}: {key!r} is {value!r} here but {EN[key]!r} elsewhere: one rendering per word")
        EN[key] = value

pot = Path(tempfile.mkdtemp()) / "portal-messages.pot"
subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                "-o", str(pot), "."], check=True)
with pot.open("rb") as fh:
    catalog = read_po(fh, locale="en")
for msg in catalog:
    if msg.id and msg.context:
        if (msg.context, msg.id) in EN_CONTEXT:
            msg.string = EN_CONTEXT[(msg.context, msg.id)]
    elif msg.id and msg.id in EN:
        msg.string = EN[msg.id] or " "
# Labels registered in Python at runtime (navigation) are not seen by the extractor.
for key, value in EN.items():
    if key not in catalog:
        catalog.add(key, value or " ")
# Likewise labels printed with pgettext(context, a Python-provided label), e.g. the timetable steps.
for (context, key), value in EN_CONTEXT.items():
    if catalog.get(key, context=context) is None:
        catalog.add(key, value or " ", context=context)
out = HERE / "en" / "LC_MESSAGES" / "messages.po"
out.parent.mkdir(parents=True, exist_ok=True)
with out.open("wb") as fh:
    write_po(fh, catalog, width=120)
print(f"wrote {out}")
