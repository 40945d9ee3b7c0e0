// Where clients and workers are, and how long a round trip between two points takes.
// Pure: a built-in region table and arithmetic, no lookups.

export interface LatLon {
  lat: number;
  lon: number;
}

export interface Region extends LatLon {
  id: string;
  name: string;
}

/** Mean Earth radius (IUGG), km. The spherical model is within 0.5 % of the ellipsoid. */
export const EARTH_RADIUS_KM = 6_371.0088;

/** Light in glass travels at about 2/3 c: 299 792 km/s × 2/3 ≈ 199.9 km per millisecond. */
export const FIBRE_KM_PER_MS = 299.792458 * (2 / 3);

/**
 * What a round trip costs beyond propagation: serialisation, switching and last-mile hops.
 * Same-city pings on good links are 1–5 ms; 4 ms keeps a same-city estimate realistic.
 */
export const FIXED_RTT_MS = 4;

/**
 * Cables do not follow great circles; measured RTTs between big cities are typically
 * 1.3–1.6× the straight-fibre figure (e.g. Frankfurt–Singapore ≈ 10 300 km: straight fibre
 * 103 ms, observed ≈ 150–160 ms). 1.5 turns the geometric bound into an estimate.
 */
export const ROUTE_INFLATION = 1.5;

// Data-centre cities, one per region, spread so that most people are within ~1 500 km of one.
export const REGIONS: readonly Region[] = Object.freeze([
  { id: "us-east", name: "Ashburn, Virginia", lat: 39.0438, lon: -77.4874 },
  { id: "us-east-nyc", name: "New York", lat: 40.7128, lon: -74.006 },
  { id: "us-central", name: "Chicago", lat: 41.8781, lon: -87.6298 },
  { id: "us-south", name: "Dallas", lat: 32.7767, lon: -96.797 },
  { id: "us-west", name: "San Jose, California", lat: 37.3382, lon: -121.8863 },
  { id: "us-northwest", name: "Seattle", lat: 47.6062, lon: -122.3321 },
  { id: "ca-montreal", name: "Montreal", lat: 45.5019, lon: -73.5674 },
  { id: "ca-toronto", name: "Toronto", lat: 43.6532, lon: -79.3832 },
  { id: "mx-queretaro", name: "Querétaro", lat: 20.5888, lon: -100.3899 },
  { id: "br-saopaulo", name: "São Paulo", lat: -23.5505, lon: -46.6333 },
  { id: "cl-santiago", name: "Santiago", lat: -33.4489, lon: -70.6693 },
  { id: "eu-west", name: "Dublin", lat: 53.3498, lon: -6.2603 },
  { id: "eu-london", name: "London", lat: 51.5072, lon: -0.1276 },
  { id: "eu-paris", name: "Paris", lat: 48.8566, lon: 2.3522 },
  { id: "eu-central", name: "Frankfurt", lat: 50.1109, lon: 8.6821 },
  { id: "eu-amsterdam", name: "Amsterdam", lat: 52.3676, lon: 4.9041 },
  { id: "eu-north", name: "Stockholm", lat: 59.3293, lon: 18.0686 },
  { id: "eu-south", name: "Milan", lat: 45.4642, lon: 9.19 },
  { id: "eu-warsaw", name: "Warsaw", lat: 52.2297, lon: 21.0122 },
  { id: "me-dubai", name: "Dubai", lat: 25.2048, lon: 55.2708 },
  { id: "af-johannesburg", name: "Johannesburg", lat: -26.2041, lon: 28.0473 },
  { id: "af-lagos", name: "Lagos", lat: 6.5244, lon: 3.3792 },
  { id: "in-mumbai", name: "Mumbai", lat: 19.076, lon: 72.8777 },
  { id: "ap-singapore", name: "Singapore", lat: 1.3521, lon: 103.8198 },
  { id: "ap-tokyo", name: "Tokyo", lat: 35.6762, lon: 139.6503 },
  { id: "ap-seoul", name: "Seoul", lat: 37.5665, lon: 126.978 },
  { id: "ap-hongkong", name: "Hong Kong", lat: 22.3193, lon: 114.1694 },
  { id: "ap-sydney", name: "Sydney", lat: -33.8688, lon: 151.2093 },
  { id: "cn-hangzhou", name: "Hangzhou", lat: 30.2741, lon: 120.1551 },
  { id: "cn-beijing", name: "Beijing", lat: 39.9042, lon: 116.4074 },
  { id: "cn-shenzhen", name: "Shenzhen", lat: 22.5431, lon: 114.0579 },
  { id: "cn-tieling", name: "Tieling, Liaoning", lat: 42.2237, lon: 123.7262 },
]);

const REGIONS_BY_ID: ReadonlyMap<string, Region> = new Map(REGIONS.map((r) => [r.id, r]));

export function findRegion(id: string): Region | undefined {
  return REGIONS_BY_ID.get(id);
}

export function getRegionOrThrow(id: string): Region {
  const region = REGIONS_BY_ID.get(id);
  if (!region) throw new Error(`unknown region "${id}"; known regions: ${REGIONS.map((r) => r.id).join(", ")}`);
  return region;
}

const RAD = Math.PI / 180;

/** Great-circle distance in km (haversine; stable for short distances, unlike the cosine rule). */
export function haversineKm(a: LatLon, b: LatLon): number {
  return haversineKmWithCos(a.lat, a.lon, latitudeCos(a.lat), b.lat, b.lon, latitudeCos(b.lat));
}

/** cos(latitude): the part of a haversine that depends on one point only. */
export function latitudeCos(latDeg: number): number {
  return Math.cos(latDeg * RAD);
}

/**
 * haversineKm with each point's latitudeCos passed in, so the worker index can keep it per
 * worker. haversineKm calls this very function: both give the same result to the last bit,
 * which is what lets the index and the linear scan agree exactly.
 */
export function haversineKmWithCos(aLat: number, aLon: number, aCos: number, bLat: number, bLon: number, bCos: number): number {
  const sinLat = Math.sin(((bLat - aLat) * RAD) / 2);
  const sinLon = Math.sin(((bLon - aLon) * RAD) / 2);
  const s = sinLat * sinLat + aCos * bCos * sinLon * sinLon;
  // min() guards against s drifting above 1 by rounding for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** A point on the unit sphere, for chord lengths: |a − b| needs no trigonometry once a and b are known. */
export interface UnitVector {
  x: number;
  y: number;
  z: number;
}

export function unitVector(p: LatLon): UnitVector {
  const cosLat = Math.cos(p.lat * RAD);
  return { x: cosLat * Math.cos(p.lon * RAD), y: cosLat * Math.sin(p.lon * RAD), z: Math.sin(p.lat * RAD) };
}

/**
 * A lower bound on haversineKm from the straight-line chord between two unit vectors (a chord
 * is never longer than its arc); 1 mm below it so that rounding in either formula (~1e-9 km)
 * cannot lift it above the haversine. Three multiplications and a square root: the worker
 * index uses it to rule workers and buckets out before computing the real distance.
 */
export function chordLowerBoundKm(ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  const dx = ax - bx;
  const dy = ay - by;
  const dz = az - bz;
  return Math.max(0, EARTH_RADIUS_KM * Math.sqrt(dx * dx + dy * dy + dz * dz) - CHORD_SLACK_KM);
}

const CHORD_SLACK_KM = 1e-6;

/**
 * Estimated round-trip time over `km` of great-circle distance: there and back through fibre
 * at 2/3 c along a route ROUTE_INFLATION times longer than the great circle, plus FIXED_RTT_MS.
 * Monotone in km, which is what the worker index's lower bounds rely on.
 * Example: Montreal–Montreal 4 ms; Tieling–Hangzhou (≈1 450 km) ≈ 26 ms; Tieling–Montreal ≈ 160 ms.
 */
export function estimateRttMs(km: number): number {
  return FIXED_RTT_MS + (2 * ROUTE_INFLATION * Math.max(0, km)) / FIBRE_KM_PER_MS;
}

export function isValidLatLon(p: LatLon): boolean {
  return Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;
}
