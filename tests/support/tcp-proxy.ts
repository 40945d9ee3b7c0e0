import { createServer, type Server, type Socket, connect } from "node:net";

/**
 * How a cut link behaves.
 * - `blackhole`: packets are dropped and nobody is told. Connections open at the cut stall
 *   (nothing more is forwarded either way, and neither side hears that the other closed);
 *   new connections are accepted and never forwarded. Requests hang until the client's own
 *   timeout. A stalled connection stays dead after `heal`, as one through a firewall or NAT
 *   that lost its state does: only its client's timeout ends it. New connections after the
 *   heal go through.
 * - `refuse`: the link answers with resets. Connections open at the cut are reset, and new
 *   ones are reset as soon as they are accepted (ECONNRESET at once, like a REJECT rule).
 */
export type CutMode = "blackhole" | "refuse";

export interface TcpProxyStats {
  /** Connections accepted since the proxy started. */
  accepted: number;
  /** Of those, connected through to the target. */
  forwarded: number;
  /** Accepted while cut in `blackhole` mode: held, never forwarded. */
  blackholed: number;
  /** Accepted while cut in `refuse` mode: reset at once. */
  refused: number;
  /** Open connections stalled by a `blackhole` cut. */
  stalled: number;
  /** Open connections reset by a `refuse` cut. */
  reset: number;
  /** Client sockets open now (forwarding or stalled). */
  open: number;
}

export interface TcpProxy {
  /** The port it listens on (127.0.0.1, chosen by the OS). */
  readonly port: number;
  /** `http://127.0.0.1:<port>`: give it to a client in place of the target's URL. */
  readonly url: string;
  /** `open`, or the mode of the current cut. */
  readonly state: "open" | CutMode;
  /** Cuts the link (see CutMode). Cutting again switches the mode. */
  cut(mode?: CutMode): void;
  /** Forwards new connections again (connections stalled by a blackhole stay dead). */
  heal(): void;
  stats(): TcpProxyStats;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket | null;
  /** Nothing is forwarded any more, in either direction, and no close is passed on. */
  dead: boolean;
}

/**
 * A TCP proxy the test controls, on a free port, in front of `target`: a network link
 * between one client (a worker) and a server (the web app) that the test can cut and heal.
 */
export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? "127.0.0.1";
  const links = new Set<Link>();
  let state: "open" | CutMode = "open";
  const counts = { accepted: 0, forwarded: 0, blackholed: 0, refused: 0, stalled: 0, reset: 0 };

  /** A dead link keeps reading (and dropping) what arrives, so it notices each side's close. */
  const stall = (link: Link) => {
    link.dead = true;
    link.client.resume();
    link.upstream?.resume();
  };
  const forget = (link: Link) => {
    if (link.client.destroyed && (link.upstream === null || link.upstream.destroyed)) links.delete(link);
  };
  const drop = (link: Link) => {
    link.dead = true;
    link.client.destroy();
    link.upstream?.destroy();
    links.delete(link);
  };
  /** Each side's end and close: passed on while the link lives, kept to itself once it is dead. */
  const watch = (link: Link, from: Socket, to: () => Socket | null) => {
    let ended = false;
    from.on("end", () => {
      ended = true;
      if (link.dead) from.destroy();
      else to()?.end();
    });
    from.on("close", () => {
      // Closed without an orderly end (a reset, an error): the other side is reset too.
      if (!link.dead && !ended) to()?.destroy();
      forget(link);
    });
  };

  const forward = (link: Link) => {
    const { client } = link;
    const upstream = connect({ host, port: target.port });
    link.upstream = upstream;
    counts.forwarded++;
    upstream.on("error", () => {
      // The target is down or went away: the client sees its connection reset, as it would
      // connecting to the target directly.
      if (!link.dead && !client.destroyed) client.resetAndDestroy();
    });
    const pipe = (from: Socket, to: Socket) => {
      from.on("data", (chunk: Buffer) => {
        if (link.dead) return;
        if (!to.write(chunk)) from.pause();
      });
      to.on("drain", () => {
        if (!link.dead) from.resume();
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    watch(link, upstream, () => client);
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    counts.accepted++;
    const link: Link = { client, upstream: null, dead: false };
    links.add(link);
    client.on("error", () => {
      // A reset or a timeout on the client's side: its 'close' follows and cleans up.
    });
    watch(link, client, () => link.upstream);
    if (state === "refuse") {
      counts.refused++;
      link.dead = true;
      client.resetAndDestroy();
      return;
    }
    if (state === "blackhole") {
      counts.blackholed++;
      stall(link);
      return;
    }
    forward(link);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("tcp proxy: no port");
  const port = address.port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get state() {
      return state;
    },
    cut(mode: CutMode = "blackhole") {
      state = mode;
      for (const link of [...links]) {
        if (mode === "refuse") {
          counts.reset++;
          link.dead = true;
          if (!link.client.destroyed) link.client.resetAndDestroy();
          link.upstream?.destroy();
        } else if (!link.dead) {
          counts.stalled++;
          stall(link);
        }
      }
    },
    heal() {
      state = "open";
    },
    stats() {
      return { ...counts, open: links.size };
    },
    async close() {
      for (const link of [...links]) drop(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
