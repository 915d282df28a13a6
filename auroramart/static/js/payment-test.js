// The built-in test provider's card step (payments/builtin.py): the card is checked here and
// handed to the provider's tokenisation endpoint as brand, last four digits, expiry and what a
// test number means. The number itself never leaves the browser; the checkout form posts only
// the payment method id the provider answers with.
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  var box = document.getElementById("payment");
  if (!form || !box) return;
  var hidden = form.querySelector("[name=payment_method]");
  var errors = document.getElementById("card-errors");
  var newCard = document.getElementById("new-card");
  var cardsTag = document.getElementById("test-cards");
  var testCards = cardsTag ? JSON.parse(cardsTag.textContent) : {};
  var fields = ["card-name", "card-number", "card-expiry", "card-cvc"].map(function (id) {
    return document.getElementById(id);
  });
  var busy = false;

  function choice() {
    var checked = form.querySelector("input[name=card]:checked") || form.querySelector("input[name=card]");
    return checked ? checked.value : "new";
  }
  function showNewCard() {
    newCard.style.display = choice() === "new" ? "" : "none";
  }
  form.querySelectorAll("input[name=card]").forEach(function (radio) {
    radio.addEventListener("change", showNewCard);
  });
  showNewCard();
  fields.forEach(function (input) {
    if (input) input.addEventListener("input", function () { hidden.value = ""; });
  });

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = +number[number.length - 1 - i];
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }
  function brand(number) {
    if (/^4/.test(number)) return "Visa";
    var four = +number.slice(0, 4);
    if (/^5[1-5]/.test(number) || (four >= 2221 && four <= 2720)) return "Mastercard";
    if (/^3[47]/.test(number)) return "Amex";
    return "Card";
  }
  function fail(input, message) {
    errors.textContent = message;
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    return null;
  }
  function read() {
    fields.forEach(function (input) { if (input) input.removeAttribute("aria-invalid"); });
    var number = fields[1].value.replace(/[\s-]/g, "");
    if (!/^\d{12,19}$/.test(number) || !luhn(number)) return fail(fields[1], "Enter a valid card number.");
    var m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(fields[2].value);
    if (!m) return fail(fields[2], "Enter the expiry as MM/YY.");
    var month = +m[1], year = +m[2] < 100 ? 2000 + +m[2] : +m[2];
    if (month < 1 || month > 12) return fail(fields[2], "The month must be between 01 and 12.");
    var now = new Date();
    if (year * 12 + month < now.getFullYear() * 12 + now.getMonth() + 1) return fail(fields[2], "This card has expired.");
    if (!/^\d{3,4}$/.test(fields[3].value.trim())) return fail(fields[3], "The security code is the 3 or 4 digits on the back of the card.");
    return {
      behaviour: testCards[number] || "succeeds",
      brand: brand(number),
      last4: number.slice(-4),
      exp_month: month,
      exp_year: year
    };
  }

  form.addEventListener("submit", function (event) {
    if (choice() !== "new" || hidden.value) return;
    event.preventDefault();
    if (busy) return;
    errors.textContent = "";
    var card = read();
    if (!card) return;
    busy = true;
    var button = document.getElementById("place-order");
    if (button) button.disabled = true;
    fetch(box.dataset.tokeniseUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value},
      body: JSON.stringify(card)
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error && body.error.message || "The card could not be read.");
        return body;
      });
    }).then(function (method) {
      hidden.value = method.id;
      form.submit();
    }).catch(function (error) {
      busy = false;
      if (button) button.disabled = false;
      fail(null, error.message + " Please try again.");
    });
  });
})();
