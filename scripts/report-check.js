// Loaded first, by scripts/screenshot-report.sh, in a copy of a report page (DIR/.check.html) that headless
// Chromium opens: records script errors and resources that fail to load, then, once the page has loaded,
// loads the PNG behind every tile link too and writes what it found as JSON into <pre id="report-check">,
// which `chromium --dump-dom` prints.
window.reportCheck = { errors: [] };
addEventListener('error', e => {
  const t = e.target;
  if (t && t !== window && t.tagName) {
    const src = (t.getAttribute('src') || t.getAttribute('href') || '').slice(0, 80);
    reportCheck.errors.push(`${t.tagName.toLowerCase()} ${src} did not load`);
  } else {
    reportCheck.errors.push(`script error: ${e.message} (${e.filename}:${e.lineno})`);
  }
}, true);

function loads(src) {
  return new Promise(done => {
    const img = new Image();
    img.onload = () => done(img.naturalWidth > 0 ? null : src);
    img.onerror = () => done(src);
    img.src = src;
  });
}

addEventListener('load', async () => {
  const images = [...document.images].filter(i => i.hasAttribute('src'));
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0)
    .map(i => i.getAttribute('src').slice(0, 80));
  const tiles = [...document.querySelectorAll('a.tile')].map(a => a.getAttribute('href'));
  const tileFailures = (await Promise.all(tiles.map(loads))).filter(x => x);
  const text = q => [...document.querySelectorAll(q)].map(e => e.innerText.trim());
  const zoom = document.getElementById('zoom');
  const out = {
    images: images.length, broken, tiles: tiles.length, tileFailures, errors: reportCheck.errors,
    prediction: text('.prediction h2')[0] || '',
    classes: text('table.bars td.name'),
    sections: text('section h2').length,
    kernels: text('figure.kernel figcaption'),
    zoom: zoom && !zoom.hidden ? document.getElementById('zoom-cap').innerText : '',
  };
  const pre = document.createElement('pre');
  pre.id = 'report-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
