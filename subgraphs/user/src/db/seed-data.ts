// Demo data only (dev-only accounts; passwords are set by the seeder from DEMO_PASSWORD).

export interface DemoUserSeed { id: string; email: string; displayName: string; role: 'MEMBER' | 'TRAINER' | 'GYM_STAFF' | 'ADMIN'; homeGymId: string | null; timeZone: string; }

export const demoUserSeeds: DemoUserSeed[] = [
  { id: '6a1b0c9e-0005-4000-8000-000000000001', email: 'alex@demo.fitgraph.dev', displayName: 'Alex Demo', role: 'MEMBER', homeGymId: '6a1b0c9e-0001-4000-8000-000000000001', timeZone: 'Europe/Berlin' },
  { id: '6a1b0c9e-0005-4000-8000-000000000002', email: 'sam@demo.fitgraph.dev', displayName: 'Sam Demo', role: 'MEMBER', homeGymId: '6a1b0c9e-0001-4000-8000-000000000002', timeZone: 'America/New_York' },
  { id: '6a1b0c9e-0005-4000-8000-000000000003', email: 'taylor@demo.fitgraph.dev', displayName: 'Taylor Trainer', role: 'TRAINER', homeGymId: '6a1b0c9e-0001-4000-8000-000000000001', timeZone: 'UTC' },
  { id: '6a1b0c9e-0005-4000-8000-000000000004', email: 'staff@demo.fitgraph.dev', displayName: 'Gym Staff Demo', role: 'GYM_STAFF', homeGymId: '6a1b0c9e-0001-4000-8000-000000000001', timeZone: 'UTC' },
  { id: '6a1b0c9e-0005-4000-8000-000000000005', email: 'admin@demo.fitgraph.dev', displayName: 'Admin Demo', role: 'ADMIN', homeGymId: null, timeZone: 'UTC' },
];
