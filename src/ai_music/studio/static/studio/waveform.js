// A waveform of the piece, drawn from its decoded samples, with the played part highlighted.
// Click or arrow keys on the canvas seek the audio element.

const PLAYED = "#b9a6ff";
const UNPLAYED = "#4b4470";

export class Waveform {
  constructor(canvas, audio) {
    this.canvas = canvas;
    this.audio = audio;
    this.peaks = null;
    canvas.tabIndex = 0;
    canvas.addEventListener("click", (event) => this.seekTo(event));
    canvas.addEventListener("keydown", (event) => this.seekBy(event));
    audio.addEventListener("timeupdate", () => this.draw());
    audio.addEventListener("seeked", () => this.draw());
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Decodes the audio (MP3 or WAV) and keeps one peak per column for drawing. */
  async load(blob) {
    this.peaks = null;
    this.draw();
    const context = new OfflineAudioContext(1, 1, 44100);
    const buffer = await context.decodeAudioData(await blob.arrayBuffer());
    const samples = buffer.getChannelData(0);
    const columns = 240;
    const step = Math.max(1, Math.floor(samples.length / columns));
    const peaks = new Float32Array(columns);
    for (let column = 0; column < columns; column++) {
      let peak = 0;
      const end = Math.min(samples.length, (column + 1) * step);
      for (let i = column * step; i < end; i++) peak = Math.max(peak, Math.abs(samples[i]));
      peaks[column] = peak;
    }
    const loudest = Math.max(...peaks, 1e-6);
    this.peaks = peaks.map((peak) => peak / loudest);
    this.canvas.dataset.drawn = "true";
    this.draw();
  }

  clear() {
    this.peaks = null;
    delete this.canvas.dataset.drawn;
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const scale = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * scale));
    const height = Math.max(1, Math.round(canvas.clientHeight * scale));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    if (!this.peaks) return;
    const played = this.audio.duration ? this.audio.currentTime / this.audio.duration : 0;
    const bar = width / this.peaks.length;
    const middle = height / 2;
    this.peaks.forEach((peak, column) => {
      const barHeight = Math.max(2 * scale, peak * (height - 8 * scale));
      context.fillStyle = column / this.peaks.length < played ? PLAYED : UNPLAYED;
      context.fillRect(column * bar, middle - barHeight / 2, Math.max(1, bar - scale), barHeight);
    });
  }

  seekTo(event) {
    if (!this.audio.duration) return;
    const box = this.canvas.getBoundingClientRect();
    this.audio.currentTime = ((event.clientX - box.left) / box.width) * this.audio.duration;
  }

  seekBy(event) {
    const steps = { ArrowLeft: -5, ArrowRight: 5 };
    if (!(event.key in steps) || !this.audio.duration) return;
    event.preventDefault();
    this.audio.currentTime = Math.min(
      this.audio.duration,
      Math.max(0, this.audio.currentTime + steps[event.key]),
    );
  }
}
