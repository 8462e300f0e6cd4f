// Runs on the audio thread: hands each 128-sample block of the first channel to the page,
// which downsamples and packs it (see media.js AudioRecorder).
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buffer = new Float32Array(2048);
    this.length = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      // Batch blocks so the page gets ~20 messages a second instead of ~375.
      if (this.length + channel.length > this.buffer.length) this.flush();
      this.buffer.set(channel, this.length);
      this.length += channel.length;
      if (this.length >= this.buffer.length) this.flush();
    }
    return true;
  }

  flush() {
    if (this.length === 0) return;
    this.port.postMessage(this.buffer.slice(0, this.length));
    this.length = 0;
  }
}

registerProcessor("pcm-capture", PcmCapture);
