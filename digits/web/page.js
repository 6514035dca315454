// The page of predict_N.py --serve: draw (pointer events: mouse, touch, pen)
// or send a picture; POST /read answers with what was read (see digits/serve.py).
'use strict';

const DELAY = 300;   // ms after a stroke ends before the drawing is read
const $ = id => document.getElementById(id);
const canvas = $('canvas');
const ink = canvas.getContext('2d');
let strokes = [];    // {width, points: [[x, y], ...]}, oldest first, for undo
let stroke = null;   // the one being drawn
let timer = null;
let latest = 0;      // number of the last request sent: older answers are dropped
let limit = 10 * 1024 * 1024;

function paper() {
  ink.fillStyle = '#fff';
  ink.fillRect(0, 0, canvas.width, canvas.height);
}

function draw(s) {
  ink.strokeStyle = ink.fillStyle = '#000';
  ink.lineWidth = s.width;
  ink.lineCap = ink.lineJoin = 'round';
  const [x0, y0] = s.points[0];
  ink.beginPath();
  if (s.points.length === 1) {
    ink.arc(x0, y0, s.width / 2, 0, 2 * Math.PI);
    ink.fill();
    return;
  }
  ink.moveTo(x0, y0);
  for (const [x, y] of s.points.slice(1)) ink.lineTo(x, y);
  ink.stroke();
}

function redraw() {
  paper();
  strokes.forEach(draw);
}

// Where the pointer is, in the canvas's own pixels (it is shown scaled).
function at(e) {
  const box = canvas.getBoundingClientRect();
  return [(e.clientX - box.left) * canvas.width / box.width,
          (e.clientY - box.top) * canvas.height / box.height];
}

canvas.addEventListener('pointerdown', e => {
  if (e.pointerType === 'mouse' && e.button !== 0) return;
  e.preventDefault();
  canvas.setPointerCapture(e.pointerId);
  clearTimeout(timer);
  stroke = {width: Number($('width').value), points: [at(e)]};
  strokes.push(stroke);
  $('picture').hidden = true;
  redraw();
});

canvas.addEventListener('pointermove', e => {
  if (!stroke) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const c of (events.length ? events : [e])) stroke.points.push(at(c));
  redraw();
});

function strokeEnds() {
  if (!stroke) return;
  stroke = null;
  later();
}
canvas.addEventListener('pointerup', strokeEnds);
canvas.addEventListener('pointercancel', strokeEnds);

function later() {
  clearTimeout(timer);
  timer = setTimeout(readDrawing, DELAY);
}

function readDrawing() {
  canvas.toBlob(blob => send(blob, 'drawing.png'), 'image/png');
}

$('undo').addEventListener('click', () => {
  strokes.pop();
  redraw();
  later();
});

$('clear').addEventListener('click', () => {
  strokes = [];
  redraw();
  later();
});

document.addEventListener('keydown', e => {
  const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName);
  if ((e.ctrlKey || e.metaKey) && e.key === 'z' && !typing) {
    e.preventDefault();
    $('undo').click();
  }
});

// A picture from the disk, the camera or dropped on the drawing.
function sendFile(file) {
  if (!file) return;
  const picture = $('picture');
  picture.src = URL.createObjectURL(file);
  picture.hidden = false;
  send(file, file.name || 'picture');
}

for (const id of ['file', 'photo']) {
  $(id).addEventListener('change', e => {
    sendFile(e.target.files[0]);
    e.target.value = '';   // the same file again is read again
  });
}

const drop = $('drawing');
drop.addEventListener('dragover', e => {
  e.preventDefault();
  drop.classList.add('dropping');
});
drop.addEventListener('dragleave', () => drop.classList.remove('dropping'));
drop.addEventListener('drop', e => {
  e.preventDefault();
  drop.classList.remove('dropping');
  sendFile(e.dataTransfer.files[0]);
});

async function send(blob, name) {
  const mine = ++latest;
  if (blob.size > limit) {
    say(`This picture is too large (${(blob.size / 1e6).toFixed(1)} MB; the limit is ${limit / 1e6} MB).`);
    return;
  }
  $('reading').setAttribute('aria-busy', 'true');
  try {
    const answer = await fetch('read?name=' + encodeURIComponent(name), {method: 'POST', body: blob});
    const body = answer.ok ? await answer.json() : await answer.text();
    if (mine !== latest) return;
    if (answer.ok) show(body);
    else say(body.trim().replace(name + ': ', ''));
  } catch (err) {
    if (mine === latest) say('The server did not answer: is it still running?');
  } finally {
    if (mine === latest) $('reading').removeAttribute('aria-busy');
  }
}

function say(text) {
  $('result').textContent = '';
  $('digits').replaceChildren();
  $('message').textContent = text.charAt(0).toUpperCase() + text.slice(1);
}

// What was read: the number, then per digit the 28x28 the network saw and ten bars.
function show(reading) {
  $('result').textContent = reading.result;
  $('message').textContent = '';
  $('digits').replaceChildren(...reading.digits.map((d, i) => digitCard(d, reading.prepared[i], i)));
}

function digitCard(d, image, i) {
  const card = document.createElement('figure');
  card.className = 'digit';
  const seen = document.createElement('img');
  seen.src = image;
  seen.width = seen.height = 112;
  seen.alt = `Digit ${i + 1} as the network saw it (28 by 28 pixels)`;
  const caption = document.createElement('figcaption');
  caption.textContent = `${d.digit}, ${(100 * d.confidence).toFixed(1)}% sure`;
  const bars = document.createElement('ol');
  bars.className = 'bars';
  bars.setAttribute('aria-label', `Probabilities of digit ${i + 1}`);
  d.probabilities.forEach((p, k) => {
    const row = document.createElement('li');
    if (k === d.digit) row.className = 'top';
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${(100 * p).toFixed(1)}%`;
    const track = document.createElement('span');
    track.className = 'track';
    track.append(bar);
    row.append(`${k}`, track, `${(100 * p).toFixed(1)}%`);
    bars.append(row);
  });
  card.append(seen, caption, bars);
  return card;
}

// Saving the drawing with its label (predict_N.py --serve --collect DIR).
$('collect').addEventListener('submit', e => {
  e.preventDefault();
  const label = $('label').value.trim();
  if (!/^[0-9]$/.test(label)) {
    $('saved').textContent = 'Give one digit, 0 to 9.';
    return;
  }
  if (!strokes.length) {
    $('saved').textContent = 'Draw the digit first.';
    return;
  }
  canvas.toBlob(async blob => {
    try {
      const answer = await fetch('collect?label=' + label, {method: 'POST', body: blob});
      $('saved').textContent = answer.ok ? `Saved as ${(await answer.json()).saved}.`
                                          : (await answer.text()).trim();
    } catch (err) {
      $('saved').textContent = 'The server did not answer: is it still running?';
    }
  }, 'image/png');
});

async function start() {
  paper();
  try {
    const config = await (await fetch('config')).json();
    limit = config.limit;
    $('collect').hidden = !config.collect;
  } catch (err) {
    say('The server did not answer: is it still running?');
  }
}

start();
