// Copy buttons: <button data-copy-target="ID" hidden> copies the text of element ID.
// Without JavaScript the button stays hidden and the text can still be selected by hand.
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function report(button, message) {
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (status) {
      status.textContent = message;
    }
  }

  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          report(button, "Copied to the clipboard.");
        }, function () {
          selectText(target);
          report(button, "Selected: press Ctrl+C (⌘C) to copy.");
        });
      } else {
        selectText(target);
        report(button, "Selected: press Ctrl+C (⌘C) to copy.");
      }
    });
  });
}());
