// Live refresh of /stats: every few seconds, fetch the server-rendered fragment for the same
// query and swap it in. Same origin only (the CSP allows nothing else); pauses while hidden.
(() => {
  const live = document.getElementById('live');
  if (!live) return;
  const every = Number(live.dataset.refreshMs) || 5000;
  let busy = false;
  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch('/stats/live' + location.search, { cache: 'no-store', credentials: 'same-origin' });
      if (response.ok) live.innerHTML = await response.text();
    } catch {
      // Offline for a moment: the next tick tries again.
    } finally {
      busy = false;
    }
  }
  setInterval(refresh, every);
})();
