import { Writable } from 'node:stream';

/** A writable stream that keeps everything written to it, for an app's `stdout`/`stderr`. */
export class TextSink extends Writable {
  text = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }

  /** The text split into lines, without the empty string after the last newline. */
  get lines(): string[] {
    const lines = this.text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  }
}
