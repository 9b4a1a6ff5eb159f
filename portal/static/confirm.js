// What cannot be undone asks first: <form data-confirm="..."> or <button data-confirm="...">
// (the button that submits wins, so one form can hold a safe and an irreversible choice).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var message = (button && button.getAttribute && button.getAttribute("data-confirm")) ||
    (form && form.getAttribute && form.getAttribute("data-confirm"));
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
