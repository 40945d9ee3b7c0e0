import type { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { platformUrlForWorkers } from "./platform-url-for-workers.ts";
import { REGION_PLACEHOLDER, workerCommands } from "./worker-commands.ts";

const lan = {
  eth0: [
    {
      address: "192.168.1.20",
      netmask: "255.255.255.0",
      family: "IPv4",
      mac: "00:00:00:00:00:01",
      internal: false,
      cidr: "192.168.1.20/24",
    },
  ],
} satisfies ReturnType<typeof networkInterfaces>;
const loopbackOnly = {
  lo: [{ address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4", mac: "00:00:00:00:00:00", internal: true, cidr: "127.0.0.1/8" }],
} satisfies ReturnType<typeof networkInterfaces>;

describe("the URL a provider's worker is told to call", () => {
  it("PROOFGRID_URL wins, without a trailing slash", () => {
    expect(
      platformUrlForWorkers({
        configured: "https://proofgrid.example/",
        host: "0.0.0.0:3000",
        forwardedProto: null,
        requestUrl: "http://0.0.0.0:3000/x",
      }),
    ).toEqual({
      url: "https://proofgrid.example",
    });
  });

  it("else the address the caller reached: its Host header, with the proxy's scheme", () => {
    expect(
      platformUrlForWorkers({
        configured: undefined,
        host: "gpu-hub.lan:3000",
        forwardedProto: null,
        requestUrl: "http://0.0.0.0:3000/api",
      }).url,
    ).toBe("http://gpu-hub.lan:3000");
    expect(
      platformUrlForWorkers({
        configured: undefined,
        host: "proofgrid.example",
        forwardedProto: "https",
        requestUrl: "http://0.0.0.0:3000/api",
      }).url,
    ).toBe("https://proofgrid.example");
    expect(
      platformUrlForWorkers({ configured: undefined, host: "[fd00::5]:3000", forwardedProto: null, requestUrl: "http://0.0.0.0:3000/api" })
        .url,
    ).toBe("http://[fd00::5]:3000");
  });

  it("never 0.0.0.0 (the bind address `npm start` reported before): the machine's network address, with a note", () => {
    for (const host of ["0.0.0.0:3000", "[::]:3000", null]) {
      const r = platformUrlForWorkers({
        configured: undefined,
        host,
        forwardedProto: null,
        requestUrl: "http://0.0.0.0:3000/api/v1/nodes/registration-tokens",
        interfaces: lan,
      });
      expect(r.url).toBe("http://192.168.1.20:3000");
      expect(r.note).toContain("PROOFGRID_URL");
    }
    const alone = platformUrlForWorkers({
      configured: undefined,
      host: "0.0.0.0:3000",
      forwardedProto: null,
      requestUrl: "http://0.0.0.0:3000/",
      interfaces: loopbackOnly,
    });
    expect(alone.url).toBe("http://localhost:3000");
    expect(alone.url).not.toContain("0.0.0.0");
  });

  it("ignores a Host header that is not a host (a path, credentials, spaces)", () => {
    for (const host of ["evil.example/path", "user@evil.example", "a b", "x".repeat(300)]) {
      expect(
        platformUrlForWorkers({ configured: undefined, host, forwardedProto: null, requestUrl: "http://127.0.0.1:3000/api" }).url,
      ).toBe("http://127.0.0.1:3000");
    }
  });
});

describe("the provider's commands", () => {
  it("install the served package, then register with URL, token and region, then start", () => {
    const c = workerCommands({ platformUrl: "http://192.168.1.20:3000/", token: "pgr_abc", region: "eu-west" });
    expect(c).toEqual({
      install: "npm install -g --ignore-scripts http://192.168.1.20:3000/downloads/proofgrid-worker.tgz",
      gpuInstall:
        "ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm install -g --allow-scripts=onnxruntime-node http://192.168.1.20:3000/downloads/proofgrid-worker.tgz",
      register: "proofgrid-worker register --url http://192.168.1.20:3000 --token pgr_abc --region eu-west",
      start: "proofgrid-worker start",
    });
    expect(workerCommands({ platformUrl: "https://p.example", token: "pgr_x", region: null, role: "checker" })).toMatchObject({
      register: `proofgrid-worker register --url https://p.example --token pgr_x --region ${REGION_PLACEHOLDER}`,
      start: "proofgrid-worker start --role checker",
    });
  });
});
