// Qiao's page script: htmx requests carry the session's CSRF token, read
// from <meta name="csrf-token"> (present when signed in), like the API's
// X-CSRF-Token header. Forms posted without JavaScript carry it in their
// hidden "csrf" field instead.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });
})();
