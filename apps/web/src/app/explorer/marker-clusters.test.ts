import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLEARANCE, clusterLabel, clusterMarkers, clusterName } from "./marker-clusters.ts";

const region = (id: string, workersOnline: number, freeSlots = 1) => ({ id, name: id, lat: 0, lon: 0, workersOnline, freeSlots });

describe("map markers that would overlap", () => {
  it("groups neighbours into one labelled marker that counts them all; a far region stays alone", () => {
    const clusters = clusterMarkers([
      { region: region("Frankfurt", 3), x: 400, y: 100 },
      { region: region("Amsterdam", 1), x: 395, y: 90 },
      { region: region("Montreal", 1), x: 230, y: 95 },
    ]);
    expect(clusters).toHaveLength(2);
    const [europe, montreal] = clusters;
    expect(europe?.workersOnline).toBe(4);
    expect(clusterName(europe as NonNullable<typeof europe>)).toBe("Frankfurt +1");
    expect(clusterLabel(europe as NonNullable<typeof europe>)).toBe(
      "2 regions close together, 4 workers online: Frankfurt: 3 workers online, 1 free slot; Amsterdam: 1 worker online, 1 free slot",
    );
    expect(clusterLabel(montreal as NonNullable<typeof montreal>)).toBe("Montreal: 1 worker online, 1 free slot");
  });

  it("leaves no two markers overlapping, whatever the regions, and loses no worker", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ x: fc.integer({ min: 0, max: 800 }), y: fc.integer({ min: 0, max: 360 }), w: fc.integer({ min: 1, max: 50 }) }),
          {
            maxLength: 32,
          },
        ),
        (pts) => {
          const clusters = clusterMarkers(pts.map((p, i) => ({ region: region(`r${i}`, p.w), x: p.x, y: p.y })));
          for (let i = 0; i < clusters.length; i++)
            for (let j = i + 1; j < clusters.length; j++) {
              const a = clusters[i];
              const b = clusters[j];
              if (a && b) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(CLEARANCE * (a.r + b.r));
            }
          expect(clusters.reduce((s, c) => s + c.workersOnline, 0)).toBe(pts.reduce((s, p) => s + p.w, 0));
        },
      ),
    );
  });
});
