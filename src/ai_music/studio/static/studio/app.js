// The studio page: account, composer with live progress, player with a waveform, history.
// Plain modules, no build step. The API's address comes from config.json beside this file.

import { Api, ApiError, followJob } from "./api.js";
import { describeError, formatWait } from "./messages.js";
import { Waveform } from "./waveform.js";

const SESSION_KEY = "ai-music.session";
const $ = (id) => document.getElementById(id);

const state = {
  api: null,
  user: null,
  follower: null,
  job: null,
  historyCursor: null,
  objectUrl: null,
};

async function loadConfig() {
  try {
    const response = await fetch(new URL("config.json", import.meta.url), { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    // No config file: the API is this page's own origin.
  }
  return {};
}

// --- messages ----------------------------------------------------------------------------

function showNotice(text, kind = "error") {
  $("notice-text").textContent = text;
  $("notice").dataset.kind = kind;
  $("notice").hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}

async function guarded(action) {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && state.user) {
      endSession();
      showNotice("Your session has ended. Please sign in again.");
      return undefined;
    }
    showNotice(describeError(error));
    if (!(error instanceof ApiError)) console.error(error);
    return undefined;
  }
}

// --- session -----------------------------------------------------------------------------

function saveSession(token, user) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token, user }));
}

function restoreSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
  } catch {
    return null;
  }
}

function startSession(token, user) {
  state.api.token = token;
  state.user = user;
  saveSession(token, user);
  $("who-name").textContent = user.username;
  $("auth").hidden = true;
  $("account").hidden = false;
  $("studio").hidden = false;
  refreshLimits();
  refreshHistory();
}

function endSession() {
  state.follower?.stop();
  state.api.token = null;
  state.user = null;
  sessionStorage.removeItem(SESSION_KEY);
  $("auth").hidden = false;
  $("account").hidden = true;
  $("studio").hidden = true;
  $("history-list").replaceChildren();
  $("job").hidden = true;
  stopPlayer();
}

function selectTab(which) {
  for (const name of ["signin", "signup"]) {
    const selected = name === which;
    $(`tab-${name}`).setAttribute("aria-selected", String(selected));
    $(`tab-${name}`).tabIndex = selected ? 0 : -1;
    $(`${name}-form`).hidden = !selected;
  }
}

async function signIn(username, password) {
  const session = await state.api.signin(username, password);
  startSession(session.token, session.user);
}

// --- limits ------------------------------------------------------------------------------

async function refreshLimits() {
  const limits = await guarded(() => state.api.limits());
  if (!limits) return;
  const daily = limits.generations_per_day;
  const left = daily.remaining;
  $("quota").textContent = `${left} of ${daily.limit} piece${daily.limit === 1 ? "" : "s"} left today`;
  $("quota").dataset.empty = String(left === 0);
}

// --- composing ---------------------------------------------------------------------------

function composerParams() {
  const form = $("compose-form");
  return {
    prompt: form.prompt.value.trim(),
    mood: form.mood.value,
    instruments: form.instruments.value.trim(),
    tempo: Number(form.tempo.value),
    duration: Number(form.duration.value),
    format: form.format.value,
  };
}

function showJob(job) {
  state.job = job;
  const percent = Math.round((job.progress ?? 0) * 100);
  $("job").hidden = false;
  $("job-progress").value = percent;
  const labels = {
    queued: job.queue_position ? `Waiting in line (position ${job.queue_position})…` : "Waiting to start…",
    running: `Composing… ${percent}%`,
    succeeded: "Done: your piece is ready.",
    failed: `Failed: ${job.error ?? "the music service failed"}`,
    canceled: "Canceled.",
    aborted: `Stopped: ${job.error ?? "the job was stopped"}`,
  };
  $("job-status").textContent = labels[job.status] ?? job.status;
  const eta = job.eta_seconds;
  $("job-eta").textContent =
    job.status === "running" && eta != null ? `About ${formatWait(Math.max(1, Math.round(eta)))} left` : "";
  const active = job.status === "queued" || job.status === "running";
  $("cancel").hidden = !active;
  $("compose").disabled = active;
}

async function compose(event) {
  event.preventDefault();
  hideNotice();
  $("compose").disabled = true;
  const started = await guarded(() => state.api.createJob(composerParams()));
  if (!started) {
    $("compose").disabled = false;
    refreshLimits();
    return;
  }
  const remaining = started.headers.get("RateLimit-Remaining");
  if (remaining !== null) refreshLimits();
  state.follower = followJob(state.api, started.body, showJob);
  const job = await guarded(() => state.follower.finished);
  $("compose").disabled = false;
  if (!job) return;
  if (job.status === "succeeded" && job.history_entry_id) {
    const entry = await guarded(() => state.api.entry(job.history_entry_id));
    if (entry) await play(entry);
  } else if (job.status === "failed") {
    showNotice(`The piece could not be made: ${job.error ?? "the music service failed"}.`);
  }
  refreshHistory();
  refreshLimits();
}

async function cancelJob() {
  if (!state.job) return;
  const job = await guarded(() => state.api.cancelJob(state.job.id));
  if (job) showJob(job);
}

// --- player ------------------------------------------------------------------------------

let waveform;

function stopPlayer() {
  const audio = $("audio");
  audio.pause();
  audio.removeAttribute("src");
  if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
  state.objectUrl = null;
  waveform?.clear();
  $("now-playing").textContent = "Your piece will play here.";
}

function audioSources(entry) {
  return {
    mediaUrl: entry.media_url ?? entry.audio?.media_url ?? null,
    audioUrl: entry.audio?.url ?? entry.audio_url ?? null,
  };
}

/** Plays an entry: `<audio src>` from its signed media URL (seeking by Range), else a blob. */
async function play(entry, { autoplay = true } = {}) {
  const sources = audioSources(entry);
  if (!sources.mediaUrl && !sources.audioUrl) return;
  stopPlayer();
  $("now-playing").textContent = `${entry.prompt || "Untitled"} · ${entry.mood} · ${entry.tempo ?? "?"} BPM`;
  const blob = await state.api.audioBlob(sources);
  const audio = $("audio");
  if (sources.mediaUrl) {
    audio.src = state.api.url(sources.mediaUrl);
  } else {
    state.objectUrl = URL.createObjectURL(blob);
    audio.src = state.objectUrl;
  }
  audio.dataset.entryId = String(entry.id);
  waveform.load(blob).catch(() => waveform.clear());
  if (autoplay) audio.play().catch(() => {});
}

async function download(entry, url, filename) {
  const blob = await state.api.audioBlob(url);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// --- history -----------------------------------------------------------------------------

function describeEntry(entry) {
  const when = new Date(entry.created_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  const parts = [entry.mood, entry.tempo ? `${entry.tempo} BPM` : null, entry.duration ? `${Math.round(entry.duration)} s` : null, when];
  return parts.filter(Boolean).join(" · ");
}

function midiUrlOf(entry) {
  return entry.midi_url ?? entry.score?.midi_url ?? null;
}

function renderEntry(entry) {
  const item = $("entry-template").content.firstElementChild.cloneNode(true);
  const title = entry.prompt || "Untitled";
  item.dataset.entryId = String(entry.id);
  item.querySelector(".entry-title").textContent = title;
  item.querySelector(".entry-meta").textContent = describeEntry(entry);
  const playButton = item.querySelector(".play");
  const downloadButton = item.querySelector(".download");
  const midiButton = item.querySelector(".midi");
  const deleteButton = item.querySelector(".delete");
  playButton.setAttribute("aria-label", `Play “${title}”`);
  deleteButton.setAttribute("aria-label", `Delete “${title}”`);
  if (entry.audio) {
    const format = entry.audio.format.toUpperCase();
    downloadButton.textContent = `Download ${format}`;
    downloadButton.setAttribute("aria-label", `Download “${title}” as ${format}`);
    playButton.addEventListener("click", () => guarded(() => play(entry)));
    downloadButton.addEventListener("click", () =>
      guarded(() => download(entry, audioSources(entry), `music-${entry.id}.${entry.audio.format}`)),
    );
  } else {
    playButton.hidden = true;
    downloadButton.hidden = true;
  }
  const midiUrl = midiUrlOf(entry);
  if (midiUrl) {
    midiButton.hidden = false;
    midiButton.setAttribute("aria-label", `Download “${title}” as MIDI`);
    midiButton.addEventListener("click", () =>
      guarded(() => download(entry, { audioUrl: midiUrl }, `music-${entry.id}.mid`)),
    );
  }
  deleteButton.addEventListener("click", () => guarded(() => deleteEntry(entry, item)));
  return item;
}

async function refreshHistory({ more = false } = {}) {
  const page = await guarded(() => state.api.history(more ? state.historyCursor : null));
  if (!page) return;
  const list = $("history-list");
  const items = page.items.map(renderEntry);
  if (more) list.append(...items);
  else list.replaceChildren(...items);
  state.historyCursor = page.next_cursor;
  $("more").hidden = !page.next_cursor;
  $("history-empty").hidden = list.children.length > 0;
}

async function deleteEntry(entry, item) {
  await state.api.deleteEntry(entry.id);
  if ($("audio").dataset.entryId === String(entry.id)) stopPlayer();
  item.remove();
  $("history-empty").hidden = $("history-list").children.length > 0;
  showNotice(`Deleted “${entry.prompt || "Untitled"}”.`, "info");
}

// --- wiring ------------------------------------------------------------------------------

function bindOutputs() {
  for (const name of ["tempo", "duration"]) {
    const input = $(name);
    const show = () => ($(`${name}-value`).textContent = input.value);
    input.addEventListener("input", show);
    show();
  }
}

function bindTabs() {
  $("tab-signin").addEventListener("click", () => selectTab("signin"));
  $("tab-signup").addEventListener("click", () => selectTab("signup"));
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const next = tab.id === "tab-signin" ? "signup" : "signin";
      selectTab(next);
      $(`tab-${next}`).focus();
    });
  }
}

function bindForms() {
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    hideNotice();
    const form = event.target;
    guarded(() => signIn(form.username.value.trim(), form.password.value));
  });
  $("signup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    hideNotice();
    const form = event.target;
    const fields = {
      fullName: form.fullName.value.trim(),
      username: form.username.value.trim(),
      email: form.email.value.trim(),
      password: form.password.value,
    };
    guarded(async () => {
      await state.api.signup(fields);
      await signIn(fields.username, fields.password);
    });
  });
  $("signout").addEventListener("click", async () => {
    await state.api.signout().catch(() => {});
    endSession();
    showNotice("You have signed out.", "info");
  });
  $("compose-form").addEventListener("submit", compose);
  $("cancel").addEventListener("click", cancelJob);
  $("refresh").addEventListener("click", () => refreshHistory());
  $("more").addEventListener("click", () => refreshHistory({ more: true }));
  $("notice-close").addEventListener("click", hideNotice);
}

async function main() {
  const config = await loadConfig();
  state.api = new Api(config.apiUrl);
  waveform = new Waveform($("waveform"), $("audio"));
  bindOutputs();
  bindTabs();
  bindForms();
  const saved = restoreSession();
  if (saved?.token) {
    state.api.token = saved.token;
    try {
      startSession(saved.token, await state.api.me());
    } catch (error) {
      endSession();
      if (!(error instanceof ApiError && error.status === 401)) showNotice(describeError(error));
    }
  }
  document.body.dataset.ready = "true";
}

main();
