// Demo seed data for the gym subgraph: three fictional gyms and their machines.

export interface GymSeed { id: string; name: string; city: string; }
export interface MachineSeed { id: string; gymId: string; name: string; kind: string; }

export const gymSeeds: GymSeed[] = [
  { id: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Iron Harbor Fitness', city: 'Hamburg' },
  { id: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Summit Strength Club', city: 'Munich' },
  { id: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Riverside Athletic', city: 'Berlin' },
];

export const machineSeeds: MachineSeed[] = [
  // Gym 1: Iron Harbor Fitness (Hamburg)
  { id: '6a1b0c9e-0002-4000-8000-001000000001', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Treadmill 1', kind: 'TREADMILL' },
  { id: '6a1b0c9e-0002-4000-8000-001000000002', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Treadmill 2', kind: 'TREADMILL' },
  { id: '6a1b0c9e-0002-4000-8000-001000000003', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Concept2 Rower A', kind: 'ROWER' },
  { id: '6a1b0c9e-0002-4000-8000-001000000004', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Squat Rack 1', kind: 'SQUAT_RACK' },
  { id: '6a1b0c9e-0002-4000-8000-001000000005', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Squat Rack 2', kind: 'SQUAT_RACK' },
  { id: '6a1b0c9e-0002-4000-8000-001000000006', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Flat Bench 1', kind: 'BENCH' },
  { id: '6a1b0c9e-0002-4000-8000-001000000007', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Adjustable Bench 1', kind: 'BENCH' },
  { id: '6a1b0c9e-0002-4000-8000-001000000008', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Dual Cable Station', kind: 'CABLE_STATION' },
  { id: '6a1b0c9e-0002-4000-8000-001000000009', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Spin Bike 1', kind: 'BIKE' },
  { id: '6a1b0c9e-0002-4000-8000-001000000010', gymId: '6a1b0c9e-0001-4000-8000-000000000001', name: 'Leg Press 1', kind: 'LEG_PRESS' },

  // Gym 2: Summit Strength Club (Munich)
  { id: '6a1b0c9e-0002-4000-8000-002000000001', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Treadmill 1', kind: 'TREADMILL' },
  { id: '6a1b0c9e-0002-4000-8000-002000000002', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Concept2 Rower A', kind: 'ROWER' },
  { id: '6a1b0c9e-0002-4000-8000-002000000003', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Concept2 Rower B', kind: 'ROWER' },
  { id: '6a1b0c9e-0002-4000-8000-002000000004', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Squat Rack 1', kind: 'SQUAT_RACK' },
  { id: '6a1b0c9e-0002-4000-8000-002000000005', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Squat Rack 2', kind: 'SQUAT_RACK' },
  { id: '6a1b0c9e-0002-4000-8000-002000000006', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Squat Rack 3', kind: 'SQUAT_RACK' },
  { id: '6a1b0c9e-0002-4000-8000-002000000007', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Flat Bench 1', kind: 'BENCH' },
  { id: '6a1b0c9e-0002-4000-8000-002000000008', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Flat Bench 2', kind: 'BENCH' },
  { id: '6a1b0c9e-0002-4000-8000-002000000009', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Dual Cable Station', kind: 'CABLE_STATION' },
  { id: '6a1b0c9e-0002-4000-8000-002000000010', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Spin Bike 1', kind: 'BIKE' },
  { id: '6a1b0c9e-0002-4000-8000-002000000011', gymId: '6a1b0c9e-0001-4000-8000-000000000002', name: 'Smith Machine 1', kind: 'SMITH_MACHINE' },

  // Gym 3: Riverside Athletic (Berlin)
  { id: '6a1b0c9e-0002-4000-8000-003000000001', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Treadmill 1', kind: 'TREADMILL' },
  { id: '6a1b0c9e-0002-4000-8000-003000000002', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Treadmill 2', kind: 'TREADMILL' },
  { id: '6a1b0c9e-0002-4000-8000-003000000003', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Concept2 Rower A', kind: 'ROWER' },
  { id: '6a1b0c9e-0002-4000-8000-003000000004', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Squat Rack 1', kind: 'SQUAT_RACK' },
  { id: '6a1b0c9e-0002-4000-8000-003000000005', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Flat Bench 1', kind: 'BENCH' },
  { id: '6a1b0c9e-0002-4000-8000-003000000006', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Single Cable Station', kind: 'CABLE_STATION' },
  { id: '6a1b0c9e-0002-4000-8000-003000000007', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Spin Bike 1', kind: 'BIKE' },
  { id: '6a1b0c9e-0002-4000-8000-003000000008', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Spin Bike 2', kind: 'BIKE' },
  { id: '6a1b0c9e-0002-4000-8000-003000000009', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Spin Bike 3', kind: 'BIKE' },
  { id: '6a1b0c9e-0002-4000-8000-003000000010', gymId: '6a1b0c9e-0001-4000-8000-000000000003', name: 'Elliptical Trainer 1', kind: 'ELLIPTICAL' },
];
