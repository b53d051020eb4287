// What Pelican, the demo vendor, sells and to whom: the data its portal sends to Gradient.

// What Pelican sells (vendor-level services, created once per vendor; de-duplicated by exact name).
export const SERVICES = [
  {
    key: 'edr', name: 'Endpoint Protection',
    description: 'Pelican EDR: endpoint detection and response, billed per protected endpoint',
    category: 'security', subcategory: 'endpoint detection and response (EDR)',
  },
  {
    key: 'email', name: 'Email Security',
    description: 'Pelican Mail Shield: inbound email filtering, billed per mailbox',
    category: 'security', subcategory: 'email security',
  },
  {
    key: 'sat', name: 'Security Awareness Training',
    description: 'Pelican Academy: phishing simulation and training, billed per user',
    category: 'security', subcategory: 'privacy and security awareness training',
  },
];

// Pelican's customers of this partner. Names are Pelican's, not the PSA's: only Acme Corp and
// Granite Peak Credit Union match a PSA company exactly (auto-mapped by Synthesize).
export const ACCOUNTS = [
  { id: 'pel-acme', name: 'Acme Corp' },
  { id: 'pel-cedar', name: 'Cedar Ridge Law LLP' },
  { id: 'pel-delta', name: 'Delta Logistics' },
  { id: 'pel-granite', name: 'Granite Peak Credit Union' },
];

// Counts prefilled to produce every kind of service card with the seeded PSA (seed/flamingo.json).
export const USAGE = [
  { account: 'pel-acme', service: 'edr', units: 48, psa: 45 },
  { account: 'pel-acme', service: 'email', units: 40, psa: 40 },
  { account: 'pel-acme', service: 'sat', units: 12, psa: null },
  { account: 'pel-cedar', service: 'edr', units: 27, psa: 29 },
  { account: 'pel-delta', service: 'edr', units: 69, psa: 69 },
  { account: 'pel-granite', service: 'edr', units: 60, psa: 58 },
];
