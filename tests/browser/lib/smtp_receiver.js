// A tiny SMTP receiver on a free loopback port for the dashboard's mail flows (OTP codes,
// password reset links): it speaks just enough SMTP for one sender (no TLS, no auth) and
// hands each message to waiting tests.
import { createServer } from "node:net";

/** Decodes the MIME parts of a raw message (quoted-printable and base64) into one text. */
export function mailText(raw) {
  let out = "";
  for (const part of raw.split("\r\n--")) {
    const split = part.indexOf("\r\n\r\n");
    const head = (split < 0 ? "" : part.slice(0, split)).toLowerCase();
    const body = split < 0 ? part : part.slice(split + 4);
    if (head.includes("content-transfer-encoding: quoted-printable")) {
      out += body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    } else if (head.includes("content-transfer-encoding: base64")) {
      out += Buffer.from(body.replace(/\s+/g, "").split("--")[0], "base64").toString("utf8");
    } else {
      out += body;
    }
    out += "\n";
  }
  return out;
}

/** Starts the receiver. Returns { port, next(predicate, timeoutMs), close() }. */
export async function startSmtpReceiver() {
  const mails = [];
  const waiters = [];
  const deliver = (mail) => {
    mails.push(mail);
    for (const waiter of [...waiters]) waiter();
  };
  const server = createServer((socket) => {
    let buffer = "";
    let inData = false;
    let data = "";
    let recipients = [];
    const reply = (line) => socket.write(line + "\r\n");
    reply("220 receiver.test ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          data += buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          deliver({ recipients, raw: data.replace(/\r\n\.\./g, "\r\n."), text: mailText(data) });
          data = "";
          recipients = [];
          reply("250 OK: queued");
          continue;
        }
        const newline = buffer.indexOf("\r\n");
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") {
          reply("250-receiver.test");
          reply("250 8BITMIME");
        } else if (verb === "RCPT") {
          recipients.push(line.replace(/^[^<]*<|>.*$/g, ""));
          reply("250 OK");
        } else if (verb === "DATA") {
          inData = true;
          reply("354 End data with <CR><LF>.<CR><LF>");
        } else if (verb === "QUIT") {
          reply("221 Bye");
          socket.end();
          return;
        } else {
          reply("250 OK");
        }
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    /** The first mail (received before or after the call) `predicate` accepts; taken once. */
    next(predicate = () => true, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = mails.findIndex(predicate);
          if (index < 0) return false;
          const [mail] = mails.splice(index, 1);
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(mail);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no mail within ${timeoutMs} ms (have ${mails.length})`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
