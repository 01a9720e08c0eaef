import { Command } from 'ioredis';

/** The RESP bulk-string frame of one key (`$len\r\nkey\r\n`), kept per hot key by the store. */
export function keyFrame(key: string): Buffer {
  const body = Buffer.from(key, 'utf8');
  const head = `$${body.length}\r\n`;
  const out = Buffer.allocUnsafeSlow(head.length + body.length + 2);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  out.write('\r\n', head.length + body.length, 'latin1');
  return out;
}

/**
 * An MGET whose wire form is copied from cached key frames. ioredis would otherwise build the
 * request by string concatenation (several strings per key) and encode it again on write: for
 * 500 keys that is most of the garbage a read makes, and garbage is what sets the p99 (ADR 0024).
 * Overriding toWritable is how ioredis's own Script command customises its frame.
 */
class FramedMget extends Command {
  constructor(
    keys: readonly string[],
    private readonly frames: readonly Buffer[],
  ) {
    // The keys are set after construction: they are strings already, and the constructor's
    // flatten-and-check pass over 500 arguments cost more than the rest of sending the command.
    super('mget', [], { replyEncoding: null });
    this.args = keys as string[];
  }

  override toWritable(): Buffer {
    const { frames } = this;
    const head = `*${frames.length + 1}\r\n$4\r\nmget\r\n`;
    let size = head.length;
    for (let i = 0; i < frames.length; i++) size += frames[i]!.length;
    const out = Buffer.allocUnsafe(size);
    let at = out.write(head, 0, 'latin1');
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      out.set(f, at);
      at += f.length;
    }
    return out;
  }
}

/** MGET of `keys`, written from their frames (`frames[i]` is `keyFrame(keys[i])`). */
export function mgetFramed(
  client: { sendCommand(c: Command): unknown },
  keys: readonly string[],
  frames: readonly Buffer[],
): Promise<Array<Buffer | null>> {
  const cmd = new FramedMget(keys, frames);
  client.sendCommand(cmd);
  return cmd.promise as Promise<Array<Buffer | null>>;
}
