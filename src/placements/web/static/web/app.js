// Progressive enhancement only: every page works without this script.
import { initAll } from './govuk/govuk-frontend.min.js'
initAll()

// Follow a running match: poll its status and show the result when it has finished.
const follow = document.querySelector('[data-run-status-url]')
if (follow) {
  const status = follow.querySelector('#run-status')
  const bar = follow.querySelector('progress')
  const tick = async () => {
    try {
      const response = await fetch(follow.dataset.runStatusUrl, { headers: { Accept: 'application/json' } })
      const run = await response.json()
      if (!run.active) { window.location.reload(); return }
      status.textContent = `${run.status_display}: ${run.stage} (${run.progress}%).`
      bar.value = run.progress
    } catch (e) { /* keep the link: the page still works without this */ }
    setTimeout(tick, 500)
  }
  setTimeout(tick, 500)
}
