"use strict";
// The dice page: rolls through the API with the key the person enters, shows
// every die, the latest rolls and a histogram with the fairness verdict.
// No framework, no build step; served inside the binary with a strict CSP.

const KEY_STORAGE = "dice.api-key";
// Requests go to the API this page came from, and nowhere else.
const BASE = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
const $ = (id) => document.getElementById(id);

let cursor = null;

/** What the API said, in words a person can act on. */
function explain(status, body) {
  const message = body && (body.message || (body.error && body.error.message));
  const code = body && body.error && body.error.code;
  if (status === 403) return "That API key was not accepted. Check it, or ask for a new one.";
  if (status === 429 && message === "Limit Exceeded") {
    return "This key has used up its quota for the period. It works again when the period ends.";
  }
  if (status === 429) return "Slow down: this key is sending requests faster than its plan allows. Wait a moment and try again.";
  if (status === 503 && code === "outcome_unknown") return message;
  if (status === 503) return "The server is busy. Try again in a moment.";
  if (status >= 400 && status < 500 && message) return message;
  return "Something went wrong (HTTP " + status + "). Try again later.";
}

class ApiError extends Error {
  constructor(status, body) {
    super(explain(status, body));
    this.status = status;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls the API with the stored key; a 503 is retried once after Retry-After. */
async function api(method, path, body, headers = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (!key) throw new ApiError(403, null);
  const init = {
    method,
    credentials: "omit",
    headers: { "x-api-key": key, ...headers },
  };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(BASE + path, init);
    const text = await response.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch (_) { parsed = null; }
    if (response.ok) return parsed;
    const outcomeUnknown = parsed && parsed.error && parsed.error.code === "outcome_unknown";
    if (response.status === 503 && attempt === 0 && !outcomeUnknown) {
      const seconds = Math.min(Number(response.headers.get("retry-after")) || 1, 10);
      await sleep(seconds * 1000);
      continue;
    }
    throw new ApiError(response.status, parsed);
  }
}

function say(text) {
  $("message").textContent = text || "";
}

/** Which faces a canonical notation keeps: an array of booleans, in face order. */
function keptFaces(notation, faces) {
  const kept = [];
  let next = 0;
  const term = /(\d+)d(\d+)(?:(kh|kl|dh|dl)(\d+))?/g;
  for (const match of notation.matchAll(term)) {
    const count = Number(match[1]);
    const mine = faces.slice(next, next + count);
    next += count;
    const flags = mine.map(() => true);
    if (match[3]) {
      const n = Number(match[4]);
      const order = mine.map((value, index) => ({ value, index }))
        .sort((a, b) => a.value - b.value || a.index - b.index);
      const keepHigh = match[3] === "kh", keepLow = match[3] === "kl";
      const dropCount = keepHigh || keepLow ? count - n : n;
      const dropped = match[3] === "kh" || match[3] === "dl"
        ? order.slice(0, dropCount) : order.slice(order.length - dropCount);
      for (const { index } of dropped) flags[index] = false;
    }
    kept.push(...flags);
  }
  while (kept.length < faces.length) kept.push(true);
  return kept;
}

function describeRoll(roll) {
  const who = roll.rolled_by ? " by " + roll.rolled_by : "";
  const what = roll.dice ? roll.dice + " → " : "";
  return "#" + roll.id + ": " + what + roll.outcome + who + " (" + roll.created_at + ")";
}

function showResult(roll) {
  const result = $("result");
  result.replaceChildren();
  const total = document.createElement("p");
  total.className = "total";
  total.textContent = (roll.dice ? roll.dice + " = " : "Recorded ") + roll.outcome;
  result.append(total);
  if (!roll.faces) return;
  const kept = keptFaces(roll.dice, roll.faces);
  const list = document.createElement("ul");
  list.className = "faces";
  list.setAttribute("aria-label", "Dice rolled");
  roll.faces.forEach((value, index) => {
    const face = document.createElement("li");
    face.className = kept[index] ? "face" : "face dropped";
    face.textContent = String(value);
    if (!kept[index]) face.setAttribute("aria-label", value + " (dropped)");
    list.append(face);
  });
  result.append(list);
}

function addRolls(rolls) {
  const list = $("rolls");
  for (const roll of rolls) {
    const item = document.createElement("li");
    item.dataset.id = String(roll.id);
    item.textContent = describeRoll(roll);
    list.append(item);
  }
}

async function loadRolls(more) {
  const path = "rolls?limit=20" + (more && cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
  const page = await api("GET", path);
  if (!more) $("rolls").replaceChildren();
  addRolls(page.rolls);
  cursor = page.next_cursor;
  $("more").hidden = !cursor;
}

const SVG = "http://www.w3.org/2000/svg";

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/** Bars of observed counts, with expected counts drawn over them. */
function drawHistogram(stats) {
  const observed = stats.per_outcome || {};
  const expected = (stats.fairness && stats.fairness.expected) || null;
  let totals = Object.keys(observed).map(Number);
  if (expected && Object.keys(expected).length <= 200) totals = Object.keys(expected).map(Number);
  totals.sort((a, b) => a - b);
  const holder = $("histogram");
  holder.replaceChildren();
  if (totals.length === 0) return;
  const width = 600, height = 220, bottom = 20, gap = 2;
  const expectedCount = (t) => (expected && expected[t] !== undefined ? expected[t] * stats.count : 0);
  const top = Math.max(1, ...totals.map((t) => observed[t] || 0), ...totals.map(expectedCount));
  const barWidth = width / totals.length;
  const scale = (height - bottom - 10) / top;
  const svg = svgElement("svg", { viewBox: "0 0 " + width + " " + height, role: "img" });
  svg.setAttribute("aria-label", "Histogram of " + stats.count + " outcomes");
  totals.forEach((total, i) => {
    const count = observed[total] || 0;
    const x = i * barWidth;
    const bar = svgElement("rect", {
      class: "bar", x: x + gap / 2, width: Math.max(barWidth - gap, 1),
      y: height - bottom - count * scale, height: count * scale,
      "data-outcome": total, "data-count": count,
    });
    const title = svgElement("title", {});
    title.textContent = total + ": " + count;
    bar.append(title);
    svg.append(bar);
    if (expected) {
      const e = expectedCount(total);
      svg.append(svgElement("rect", {
        class: "expected", x: x + gap / 2, width: Math.max(barWidth - gap, 1),
        y: height - bottom - e * scale, height: e * scale, "data-expected": e.toFixed(2),
      }));
    }
    if (totals.length <= 40 || i % Math.ceil(totals.length / 40) === 0) {
      const label = svgElement("text", { x: x + barWidth / 2, y: height - 5, "text-anchor": "middle" });
      label.textContent = String(total);
      svg.append(label);
    }
  });
  holder.append(svg);
}

function verdictInWords(stats, notation) {
  const fairness = stats.fairness;
  if (!fairness) return stats.count + " rolls in all. Choose a notation to test it for fairness.";
  const p = fairness.p_value;
  switch (fairness.verdict) {
    case "consistent with fair":
      return notation + ": consistent with fair dice (p = " + p.toPrecision(3) + ", " + stats.count + " rolls).";
    case "unlikely fair":
      return notation + ": unlikely to be fair (p = " + p.toPrecision(3) + " < 0.001, " + stats.count + " rolls).";
    case "too few rolls":
      return notation + ": too few rolls to tell yet (" + stats.count + "); every total needs an expected count of at least 5.";
    default:
      return notation + ": fairness not computed" + (fairness.reason ? " (" + fairness.reason + ")" : "") + ".";
  }
}

async function loadStats() {
  const diceMode = document.querySelector("input[name=mode]:checked").value === "dice";
  const notation = $("dice").value.trim();
  const path = diceMode && notation ? "stats?dice=" + encodeURIComponent(notation) : "stats";
  const stats = await api("GET", path);
  $("histogram-scope").textContent = diceMode && notation ? "Rolls of " + notation : "All rolls";
  drawHistogram(stats);
  $("verdict").textContent = verdictInWords(stats, notation);
}

async function refresh() {
  await Promise.all([loadRolls(false), loadStats()]);
}

async function guarded(action) {
  try {
    await action();
  } catch (err) {
    say(err instanceof ApiError ? err.message : "The API could not be reached. Check your connection.");
  }
}

function rollRequest() {
  const body = {};
  const rolledBy = $("rolled-by").value.trim();
  if (document.querySelector("input[name=mode]:checked").value === "dice") {
    body.dice = $("dice").value.trim();
  } else {
    body.outcome = Number($("outcome").value);
  }
  if (rolledBy) body.rolled_by = rolledBy;
  return body;
}

function wire() {
  $("api-key").value = sessionStorage.getItem(KEY_STORAGE) || "";
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, $("api-key").value.trim());
    say("");
    guarded(refresh);
  });
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      const diceMode = document.querySelector("input[name=mode]:checked").value === "dice";
      $("dice-fields").hidden = !diceMode;
      $("outcome-fields").hidden = diceMode;
      guarded(loadStats);
    });
  }
  for (const preset of document.querySelectorAll("[data-preset]")) {
    preset.addEventListener("click", () => {
      $("dice").value = preset.dataset.preset;
      guarded(loadStats);
    });
  }
  $("roll-form").addEventListener("submit", (event) => {
    event.preventDefault();
    say("");
    guarded(async () => {
      // The same key on the one retry after a 503, so the roll is recorded once.
      const roll = await api("POST", "rolls", rollRequest(), { "idempotency-key": crypto.randomUUID() });
      showResult(roll);
      await refresh();
    });
  });
  $("more").addEventListener("click", () => guarded(() => loadRolls(true)));
  if (sessionStorage.getItem(KEY_STORAGE)) guarded(refresh);
}

wire();
