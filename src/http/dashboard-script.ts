// The SLA page's script, served as a file so the content security policy can refuse every
// inline script. Between reloads it ticks the countdowns and the relative times ("3 h ago");
// the server's clock comes from <body data-now>, so a skewed browser clock changes nothing.
export const DASHBOARD_SCRIPT_PATH = '/dashboard.js';

export const DASHBOARD_SCRIPT = `(function () {
  function fmt(s) { var neg = s < 0; s = Math.round(Math.abs(s)); var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
    return (neg ? '-' : '') + (h ? h + 'h' + String(m).padStart(2, '0') + 'm' : m ? m + 'm' + String(x).padStart(2, '0') + 's' : x + 's'); }
  function ago(s) { s = Math.max(0, Math.round(s));
    return s < 60 ? 'just now' : s < 3600 ? Math.floor(s / 60) + ' min ago' : s < 172800 ? Math.floor(s / 3600) + ' h ago' : Math.floor(s / 86400) + ' d ago'; }
  var skew = Number(document.body.dataset.now) - Date.now();
  setInterval(function () {
    var now = Date.now() + skew;
    document.querySelectorAll('.countdown').forEach(function (el) { el.textContent = fmt((Number(el.dataset.deadline) - now) / 1000); });
    document.querySelectorAll('time.ago').forEach(function (el) { el.textContent = ago((now - Date.parse(el.getAttribute('datetime'))) / 1000); });
  }, 1000);
})();
`;
