/**
 * Demo accounts can sign in outside production, or in production when DEMO_PASSWORD is set
 * (the user subgraph's rule); their demo activity (workouts, meals) is seeded under the same
 * rule, so a production database holds no fake history.
 */
export const seedsDemoData = (env: { NODE_ENV?: string; DEMO_PASSWORD?: string }): boolean =>
  env.NODE_ENV !== 'production' || !!env.DEMO_PASSWORD;
