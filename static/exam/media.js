// Camera and microphone: the system check, 640x480 JPEG frames, and 16 kHz mono PCM16 WAV
// chunks made with the Web Audio API (an AudioWorklet, or a ScriptProcessor where worklets are
// missing), downsampled in the page so the server never needs ffmpeg.

export const FRAME_WIDTH = 640;
export const FRAME_HEIGHT = 480;
export const TARGET_RATE = 16000;

export function browserSupport() {
  const missing = [];
  if (!window.isSecureContext) missing.push("a secure (https) connection");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) missing.push("camera access (getUserMedia)");
  if (!(window.AudioContext || window.webkitAudioContext)) missing.push("the Web Audio API");
  if (!window.fetch || !window.WebSocket) missing.push("fetch and WebSocket");
  if (!window.localStorage) missing.push("local storage");
  if (!HTMLCanvasElement.prototype.toBlob) missing.push("canvas image export");
  return missing;
}

// A human sentence for each getUserMedia failure, by the DOMException name.
export function describeMediaError(error, device) {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return `Permission to use the ${device} was denied. Allow it in the site settings (the icon at the left of the address bar), then run the check again.`;
    case "NotFoundError":
    case "OverconstrainedError":
      return `No ${device} was found. Connect one, then run the check again.`;
    case "NotReadableError":
    case "AbortError":
      return `The ${device} is in use by another application or could not be started. Close other apps that use it, then run the check again.`;
    default:
      return `The ${device} could not be started (${(error && error.message) || "unknown error"}).`;
  }
}

export async function openCamera() {
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: FRAME_WIDTH }, height: { ideal: FRAME_HEIGHT }, facingMode: "user" },
    audio: false,
  });
}

export async function openMicrophone() {
  return navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: true },
    video: false,
  });
}

export class FrameGrabber {
  constructor(video) {
    this.video = video;
    this.canvas = document.createElement("canvas");
    this.canvas.width = FRAME_WIDTH;
    this.canvas.height = FRAME_HEIGHT;
    this.context = this.canvas.getContext("2d");
  }

  ready() {
    return this.video.readyState >= 2 && this.video.videoWidth > 0;
  }

  // The camera picture scaled to cover 640x480 (centre crop keeps the face's proportions).
  async grab(quality = 0.85) {
    if (!this.ready()) return null;
    const { videoWidth: w, videoHeight: h } = this.video;
    const scale = Math.max(FRAME_WIDTH / w, FRAME_HEIGHT / h);
    const dw = w * scale;
    const dh = h * scale;
    this.context.drawImage(this.video, (FRAME_WIDTH - dw) / 2, (FRAME_HEIGHT - dh) / 2, dw, dh);
    return new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", quality));
  }
}

// Averages the input samples that fall in each output sample's interval: a box low-pass
// filter and decimation in one, enough for speech at 16 kHz from 44.1/48 kHz input.
export class Downsampler {
  constructor(inputRate, outputRate = TARGET_RATE) {
    this.ratio = inputRate / outputRate;
    this.position = 0; // fractional input position of the next output sample
    this.carry = new Float32Array(0);
  }

  push(input) {
    const samples = new Float32Array(this.carry.length + input.length);
    samples.set(this.carry);
    samples.set(input, this.carry.length);
    const out = [];
    let start = this.position;
    while (start + this.ratio <= samples.length) {
      const end = start + this.ratio;
      let sum = 0;
      let count = 0;
      for (let i = Math.floor(start); i < Math.floor(end); i += 1) {
        sum += samples[i];
        count += 1;
      }
      out.push(count ? sum / count : 0);
      start = end;
    }
    const consumed = Math.floor(start);
    this.carry = samples.slice(consumed);
    this.position = start - consumed;
    return Float32Array.from(out);
  }
}

export function encodeWav(samples, sampleRate = TARGET_RATE) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const text = (offset, value) => {
    for (let i = 0; i < value.length; i += 1) view.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i += 1) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buffer], { type: "audio/wav" });
}

// Collects microphone audio at 16 kHz; onChunk(blob, startedAt, seconds) every chunkSeconds.
// level() gives the recent RMS (0..1) for the level meter.
export class AudioRecorder {
  constructor(stream, { chunkSeconds = 5, onChunk = () => {} } = {}) {
    this.stream = stream;
    this.chunkSeconds = chunkSeconds;
    this.onChunk = onChunk;
    this.parts = [];
    this.length = 0;
    this.chunkStartedAt = null;
    this.rms = 0;
    this.context = null;
  }

  async start() {
    const Context = window.AudioContext || window.webkitAudioContext;
    this.context = new Context();
    if (this.context.state === "suspended") await this.context.resume();
    this.source = this.context.createMediaStreamSource(this.stream);
    this.downsampler = new Downsampler(this.context.sampleRate);
    const handle = (input) => this.receive(input);
    if (this.context.audioWorklet && window.AudioWorkletNode) {
      await this.context.audioWorklet.addModule(new URL("./pcm-worklet.js", import.meta.url));
      this.node = new AudioWorkletNode(this.context, "pcm-capture", {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: "explicit",
        channelInterpretation: "speakers",
      });
      this.node.port.onmessage = (message) => handle(message.data);
      this.source.connect(this.node);
    } else {
      this.node = this.context.createScriptProcessor(4096, 1, 1);
      this.node.onaudioprocess = (event) => handle(new Float32Array(event.inputBuffer.getChannelData(0)));
      // A ScriptProcessor only runs while connected to the destination; it outputs silence.
      this.source.connect(this.node);
      this.node.connect(this.context.destination);
    }
  }

  receive(input) {
    let sum = 0;
    for (let i = 0; i < input.length; i += 1) sum += input[i] * input[i];
    this.rms = Math.sqrt(sum / Math.max(1, input.length));
    const samples = this.downsampler.push(input);
    if (!samples.length) return;
    if (this.chunkStartedAt === null) this.chunkStartedAt = new Date();
    this.parts.push(samples);
    this.length += samples.length;
    if (this.length >= this.chunkSeconds * TARGET_RATE) this.emit();
  }

  take() {
    const all = new Float32Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      all.set(part, offset);
      offset += part.length;
    }
    const startedAt = this.chunkStartedAt;
    this.parts = [];
    this.length = 0;
    this.chunkStartedAt = null;
    return { samples: all, startedAt };
  }

  emit() {
    const { samples, startedAt } = this.take();
    if (samples.length) this.onChunk(encodeWav(samples), startedAt, samples.length / TARGET_RATE);
  }

  level() {
    return Math.min(1, this.rms * 4);
  }

  async stop({ flush = false } = {}) {
    if (flush) this.emit();
    if (this.node) this.node.disconnect();
    if (this.source) this.source.disconnect();
    if (this.context) await this.context.close();
    this.context = null;
  }
}
