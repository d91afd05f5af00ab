// Demo seed data for the nutrition subgraph: foods per 100 g (figures from USDA FoodData Central, SR Legacy; rounded to 0.1 g).

export interface FoodSeed { id: string; name: string; kcalPer100g: number; proteinPer100g: number; carbsPer100g: number; fatPer100g: number; }

export const foodSeeds: FoodSeed[] = [
  { id: '6a1b0c9e-0004-4000-8000-000000000001', name: 'Chicken breast, cooked, skinless', kcalPer100g: 165, proteinPer100g: 31.0, carbsPer100g: 0.0, fatPer100g: 3.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000002', name: 'Chicken thigh, roasted, skinless', kcalPer100g: 209, proteinPer100g: 26.0, carbsPer100g: 0.0, fatPer100g: 10.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000003', name: 'Turkey breast, roasted, skinless', kcalPer100g: 147, proteinPer100g: 30.1, carbsPer100g: 0.0, fatPer100g: 2.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000004', name: 'Ground beef, 85% lean, pan-browned', kcalPer100g: 250, proteinPer100g: 25.9, carbsPer100g: 0.0, fatPer100g: 15.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000005', name: 'Pork tenderloin, roasted', kcalPer100g: 143, proteinPer100g: 26.2, carbsPer100g: 0.0, fatPer100g: 3.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000006', name: 'Bacon, pan-fried', kcalPer100g: 541, proteinPer100g: 37.0, carbsPer100g: 1.4, fatPer100g: 41.8 },
  { id: '6a1b0c9e-0004-4000-8000-000000000007', name: 'Ham, sliced, regular', kcalPer100g: 163, proteinPer100g: 16.6, carbsPer100g: 3.8, fatPer100g: 8.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000008', name: 'Salmon, Atlantic, farmed, cooked', kcalPer100g: 206, proteinPer100g: 22.1, carbsPer100g: 0.0, fatPer100g: 12.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000009', name: 'Tuna, light, canned in water, drained', kcalPer100g: 116, proteinPer100g: 25.5, carbsPer100g: 0.0, fatPer100g: 0.8 },
  { id: '6a1b0c9e-0004-4000-8000-000000000010', name: 'Cod, Atlantic, cooked', kcalPer100g: 105, proteinPer100g: 22.8, carbsPer100g: 0.0, fatPer100g: 0.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000011', name: 'Tilapia, cooked', kcalPer100g: 128, proteinPer100g: 26.2, carbsPer100g: 0.0, fatPer100g: 2.7 },
  { id: '6a1b0c9e-0004-4000-8000-000000000012', name: 'Mackerel, Atlantic, cooked', kcalPer100g: 262, proteinPer100g: 23.9, carbsPer100g: 0.0, fatPer100g: 17.8 },
  { id: '6a1b0c9e-0004-4000-8000-000000000013', name: 'Sardines, canned in oil, drained', kcalPer100g: 208, proteinPer100g: 24.6, carbsPer100g: 0.0, fatPer100g: 11.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000014', name: 'Shrimp, cooked', kcalPer100g: 99, proteinPer100g: 24.0, carbsPer100g: 0.2, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000015', name: 'Egg, whole, raw', kcalPer100g: 143, proteinPer100g: 12.6, carbsPer100g: 0.7, fatPer100g: 9.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000016', name: 'Egg, whole, hard-boiled', kcalPer100g: 155, proteinPer100g: 12.6, carbsPer100g: 1.1, fatPer100g: 10.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000017', name: 'Egg white, raw', kcalPer100g: 52, proteinPer100g: 10.9, carbsPer100g: 0.7, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000018', name: 'Whole milk (3.25%)', kcalPer100g: 61, proteinPer100g: 3.2, carbsPer100g: 4.8, fatPer100g: 3.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000019', name: 'Skim milk (nonfat)', kcalPer100g: 34, proteinPer100g: 3.4, carbsPer100g: 5.0, fatPer100g: 0.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000020', name: 'Greek yogurt, plain, nonfat', kcalPer100g: 59, proteinPer100g: 10.2, carbsPer100g: 3.6, fatPer100g: 0.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000021', name: 'Yogurt, plain, whole milk', kcalPer100g: 61, proteinPer100g: 3.5, carbsPer100g: 4.7, fatPer100g: 3.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000022', name: 'Cottage cheese, 2% milkfat', kcalPer100g: 81, proteinPer100g: 10.5, carbsPer100g: 4.8, fatPer100g: 2.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000023', name: 'Cheddar cheese', kcalPer100g: 403, proteinPer100g: 24.9, carbsPer100g: 1.3, fatPer100g: 33.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000024', name: 'Mozzarella, whole milk', kcalPer100g: 300, proteinPer100g: 22.2, carbsPer100g: 2.2, fatPer100g: 22.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000025', name: 'Butter, salted', kcalPer100g: 717, proteinPer100g: 0.9, carbsPer100g: 0.1, fatPer100g: 81.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000026', name: 'Oats, rolled, dry', kcalPer100g: 379, proteinPer100g: 13.2, carbsPer100g: 67.7, fatPer100g: 6.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000027', name: 'White rice, cooked', kcalPer100g: 130, proteinPer100g: 2.7, carbsPer100g: 28.2, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000028', name: 'Brown rice, long-grain, cooked', kcalPer100g: 111, proteinPer100g: 2.6, carbsPer100g: 23.0, fatPer100g: 0.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000029', name: 'Quinoa, cooked', kcalPer100g: 120, proteinPer100g: 4.4, carbsPer100g: 21.3, fatPer100g: 1.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000030', name: 'Spaghetti, enriched, cooked', kcalPer100g: 158, proteinPer100g: 5.8, carbsPer100g: 30.9, fatPer100g: 0.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000031', name: 'Spaghetti, whole-wheat, cooked', kcalPer100g: 124, proteinPer100g: 5.3, carbsPer100g: 26.5, fatPer100g: 0.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000032', name: 'White bread', kcalPer100g: 266, proteinPer100g: 7.6, carbsPer100g: 49.4, fatPer100g: 3.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000033', name: 'Whole-wheat bread', kcalPer100g: 247, proteinPer100g: 13.0, carbsPer100g: 41.3, fatPer100g: 3.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000034', name: 'Bagel, plain', kcalPer100g: 257, proteinPer100g: 10.0, carbsPer100g: 50.5, fatPer100g: 1.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000035', name: 'Corn tortilla', kcalPer100g: 218, proteinPer100g: 5.7, carbsPer100g: 44.6, fatPer100g: 2.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000036', name: 'Corn flakes cereal', kcalPer100g: 357, proteinPer100g: 7.5, carbsPer100g: 84.1, fatPer100g: 0.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000037', name: 'Potato, baked, with skin', kcalPer100g: 93, proteinPer100g: 2.5, carbsPer100g: 21.2, fatPer100g: 0.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000038', name: 'Sweet potato, baked, with skin', kcalPer100g: 90, proteinPer100g: 2.0, carbsPer100g: 20.7, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000039', name: 'Lentils, boiled', kcalPer100g: 116, proteinPer100g: 9.0, carbsPer100g: 20.1, fatPer100g: 0.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000040', name: 'Chickpeas, boiled', kcalPer100g: 164, proteinPer100g: 8.9, carbsPer100g: 27.4, fatPer100g: 2.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000041', name: 'Black beans, boiled', kcalPer100g: 132, proteinPer100g: 8.9, carbsPer100g: 23.7, fatPer100g: 0.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000042', name: 'Kidney beans, boiled', kcalPer100g: 127, proteinPer100g: 8.7, carbsPer100g: 22.8, fatPer100g: 0.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000043', name: 'Tofu, firm, calcium sulfate', kcalPer100g: 145, proteinPer100g: 15.8, carbsPer100g: 4.3, fatPer100g: 8.7 },
  { id: '6a1b0c9e-0004-4000-8000-000000000044', name: 'Edamame, frozen, prepared', kcalPer100g: 121, proteinPer100g: 11.9, carbsPer100g: 8.9, fatPer100g: 5.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000045', name: 'Hummus', kcalPer100g: 166, proteinPer100g: 7.9, carbsPer100g: 14.3, fatPer100g: 9.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000046', name: 'Peanut butter, smooth', kcalPer100g: 588, proteinPer100g: 25.1, carbsPer100g: 20.0, fatPer100g: 50.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000047', name: 'Broccoli, raw', kcalPer100g: 34, proteinPer100g: 2.8, carbsPer100g: 6.6, fatPer100g: 0.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000048', name: 'Spinach, raw', kcalPer100g: 23, proteinPer100g: 2.9, carbsPer100g: 3.6, fatPer100g: 0.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000049', name: 'Carrots, raw', kcalPer100g: 41, proteinPer100g: 0.9, carbsPer100g: 9.6, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000050', name: 'Tomatoes, red, raw', kcalPer100g: 18, proteinPer100g: 0.9, carbsPer100g: 3.9, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000051', name: 'Cucumber, with peel, raw', kcalPer100g: 15, proteinPer100g: 0.7, carbsPer100g: 3.6, fatPer100g: 0.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000052', name: 'Red bell pepper, raw', kcalPer100g: 31, proteinPer100g: 1.0, carbsPer100g: 6.0, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000053', name: 'Onion, raw', kcalPer100g: 40, proteinPer100g: 1.1, carbsPer100g: 9.3, fatPer100g: 0.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000054', name: 'Zucchini, raw', kcalPer100g: 17, proteinPer100g: 1.2, carbsPer100g: 3.1, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000055', name: 'Mushrooms, white, raw', kcalPer100g: 22, proteinPer100g: 3.1, carbsPer100g: 3.3, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000056', name: 'Avocado, raw', kcalPer100g: 160, proteinPer100g: 2.0, carbsPer100g: 8.5, fatPer100g: 14.7 },
  { id: '6a1b0c9e-0004-4000-8000-000000000057', name: 'Banana, raw', kcalPer100g: 89, proteinPer100g: 1.1, carbsPer100g: 22.8, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000058', name: 'Apple, raw, with skin', kcalPer100g: 52, proteinPer100g: 0.3, carbsPer100g: 13.8, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000059', name: 'Orange, raw', kcalPer100g: 47, proteinPer100g: 0.9, carbsPer100g: 11.8, fatPer100g: 0.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000060', name: 'Strawberries, raw', kcalPer100g: 32, proteinPer100g: 0.7, carbsPer100g: 7.7, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000061', name: 'Blueberries, raw', kcalPer100g: 57, proteinPer100g: 0.7, carbsPer100g: 14.5, fatPer100g: 0.3 },
  { id: '6a1b0c9e-0004-4000-8000-000000000062', name: 'Grapes, raw', kcalPer100g: 69, proteinPer100g: 0.7, carbsPer100g: 18.1, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000063', name: 'Mango, raw', kcalPer100g: 60, proteinPer100g: 0.8, carbsPer100g: 15.0, fatPer100g: 0.4 },
  { id: '6a1b0c9e-0004-4000-8000-000000000064', name: 'Pineapple, raw', kcalPer100g: 50, proteinPer100g: 0.5, carbsPer100g: 13.1, fatPer100g: 0.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000065', name: 'Dates, Medjool', kcalPer100g: 277, proteinPer100g: 1.8, carbsPer100g: 75.0, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000066', name: 'Raisins, seedless', kcalPer100g: 299, proteinPer100g: 3.1, carbsPer100g: 79.2, fatPer100g: 0.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000067', name: 'Orange juice, raw', kcalPer100g: 45, proteinPer100g: 0.7, carbsPer100g: 10.4, fatPer100g: 0.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000068', name: 'Almonds', kcalPer100g: 579, proteinPer100g: 21.2, carbsPer100g: 21.6, fatPer100g: 49.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000069', name: 'Walnuts, English', kcalPer100g: 654, proteinPer100g: 15.2, carbsPer100g: 13.7, fatPer100g: 65.2 },
  { id: '6a1b0c9e-0004-4000-8000-000000000070', name: 'Cashews, raw', kcalPer100g: 553, proteinPer100g: 18.2, carbsPer100g: 30.2, fatPer100g: 43.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000071', name: 'Peanuts, dry-roasted, unsalted', kcalPer100g: 585, proteinPer100g: 23.7, carbsPer100g: 21.5, fatPer100g: 49.7 },
  { id: '6a1b0c9e-0004-4000-8000-000000000072', name: 'Chia seeds, dried', kcalPer100g: 486, proteinPer100g: 16.5, carbsPer100g: 42.1, fatPer100g: 30.7 },
  { id: '6a1b0c9e-0004-4000-8000-000000000073', name: 'Sunflower seed kernels, dried', kcalPer100g: 584, proteinPer100g: 20.8, carbsPer100g: 20.0, fatPer100g: 51.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000074', name: 'Olive oil', kcalPer100g: 884, proteinPer100g: 0.0, carbsPer100g: 0.0, fatPer100g: 100.0 },
  { id: '6a1b0c9e-0004-4000-8000-000000000075', name: 'Canola oil', kcalPer100g: 884, proteinPer100g: 0.0, carbsPer100g: 0.0, fatPer100g: 100.0 },
  { id: '6a1b0c9e-0004-4000-8000-000000000076', name: 'Coconut oil', kcalPer100g: 892, proteinPer100g: 0.0, carbsPer100g: 0.0, fatPer100g: 99.1 },
  { id: '6a1b0c9e-0004-4000-8000-000000000077', name: 'Dark chocolate, 70-85% cacao', kcalPer100g: 598, proteinPer100g: 7.8, carbsPer100g: 45.9, fatPer100g: 42.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000078', name: 'Potato chips, plain, salted', kcalPer100g: 536, proteinPer100g: 7.0, carbsPer100g: 52.9, fatPer100g: 34.6 },
  { id: '6a1b0c9e-0004-4000-8000-000000000079', name: 'Popcorn, air-popped', kcalPer100g: 387, proteinPer100g: 12.9, carbsPer100g: 77.8, fatPer100g: 4.5 },
  { id: '6a1b0c9e-0004-4000-8000-000000000080', name: 'Pretzels, hard, salted', kcalPer100g: 380, proteinPer100g: 10.3, carbsPer100g: 79.8, fatPer100g: 2.9 },
  { id: '6a1b0c9e-0004-4000-8000-000000000081', name: 'Granola bar, hard, plain', kcalPer100g: 471, proteinPer100g: 10.1, carbsPer100g: 64.4, fatPer100g: 19.8 },
  { id: '6a1b0c9e-0004-4000-8000-000000000082', name: 'Rice cakes, brown rice, plain', kcalPer100g: 387, proteinPer100g: 8.2, carbsPer100g: 81.5, fatPer100g: 2.8 },
  { id: '6a1b0c9e-0004-4000-8000-000000000083', name: 'Honey', kcalPer100g: 304, proteinPer100g: 0.3, carbsPer100g: 82.4, fatPer100g: 0.0 },
];

// ---------------------------------------------------------------- demo activity (dev only)
// What the demo members ate over the last week, and their goals. Ids are fixed (a second seed
// is a no-op); days are counted back from the member's local date at the first seed.

/** Demo members of the user subgraph (another package: copied, not imported). */
export const demoMemberIds = { alex: '6a1b0c9e-0005-4000-8000-000000000001', sam: '6a1b0c9e-0005-4000-8000-000000000002' } as const;

const food = (prefix: string): string => {
  const found = foodSeeds.find((f) => f.name.startsWith(prefix));
  if (!found) throw new Error(`demo seed: no food named ${prefix}`);
  return found.id;
};

export interface DemoGoalsSeed { userId: string; kcal: number; proteinG: number; carbsG: number; fatG: number; }

export const demoGoalsSeeds: DemoGoalsSeed[] = [
  { userId: demoMemberIds.alex, kcal: 2600, proteinG: 160, carbsG: 300, fatG: 80 },
  { userId: demoMemberIds.sam, kcal: 1900, proteinG: 120, carbsG: 200, fatG: 65 },
];

/** One meal: eaten `atUtcHours` hours after 00:00 UTC of the member's local date. */
interface Meal { atUtcHours: number; items: [food: string, grams: number][]; }

export interface DemoMealSeed { id: string; userId: string; timeZone: string; daysAgo: number; atUtcHours: number; foodId: string; grams: number; }

/**
 * `days` menus, one per day for the 7 days before the seed day, cycled. Meal times are UTC hours
 * from 00:00 UTC of the local date, chosen so that every meal falls on that local date in the
 * member's zone in summer and winter (Berlin UTC+1/+2; New York UTC-5/-4, dinner past 00:00 UTC).
 */
function week(user: 0 | 1, userId: string, timeZone: string, days: Meal[][]): DemoMealSeed[] {
  const seeds: DemoMealSeed[] = [];
  for (let daysAgo = 1; daysAgo <= 7; daysAgo++) {
    let n = 0;
    for (const meal of days[(daysAgo - 1) % days.length]!) {
      for (const [name, grams] of meal.items) {
        const id = `6a1b0c9e-0008-4000-8000-00${user}0000${String(daysAgo).padStart(2, '0')}${String(n++).padStart(3, '0')}`;
        seeds.push({ id, userId, timeZone, daysAgo, atUtcHours: meal.atUtcHours, foodId: food(name), grams });
      }
    }
  }
  return seeds;
}

// Alex (Europe/Berlin): breakfast ~7:30, lunch ~13:00, snack ~16:30, dinner ~19:30 local.
const alexDays: Meal[][] = [
  [
    { atUtcHours: 5.5, items: [['Oats, rolled', 100], ['Whole milk', 300], ['Banana', 120]] },
    { atUtcHours: 11, items: [['Chicken breast', 200], ['White rice', 300], ['Broccoli', 150]] },
    { atUtcHours: 14.5, items: [['Greek yogurt', 250], ['Almonds', 30]] },
    { atUtcHours: 17.5, items: [['Salmon', 180], ['Potato, baked', 350], ['Olive oil', 10]] },
  ],
  [
    { atUtcHours: 5.5, items: [['Egg, whole, raw', 150], ['Whole-wheat bread', 100], ['Butter', 10]] },
    { atUtcHours: 11, items: [['Spaghetti, enriched', 350], ['Ground beef', 150], ['Tomatoes', 150]] },
    { atUtcHours: 14.5, items: [['Apple', 180], ['Peanut butter', 30]] },
    { atUtcHours: 17.5, items: [['Turkey breast', 200], ['Brown rice', 300], ['Spinach', 100]] },
  ],
  [
    { atUtcHours: 5.5, items: [['Oats, rolled', 90], ['Blueberries', 100], ['Greek yogurt', 200]] },
    { atUtcHours: 11, items: [['Chicken thigh', 180], ['Sweet potato', 300], ['Red bell pepper', 100]] },
    { atUtcHours: 14.5, items: [['Rice cakes', 30], ['Peanut butter', 30], ['Banana', 120]] },
    { atUtcHours: 17.5, items: [['Pork tenderloin', 200], ['Quinoa', 250], ['Zucchini', 150], ['Olive oil', 10]] },
  ],
];

// Sam (America/New_York): breakfast ~7:00, lunch ~12:30, dinner ~19:30 local (00:30 UTC next day).
const samDays: Meal[][] = [
  [
    { atUtcHours: 12, items: [['Greek yogurt', 200], ['Strawberries', 100], ['Chia seeds', 15]] },
    { atUtcHours: 17.5, items: [['Tuna, light', 120], ['Whole-wheat bread', 70], ['Cucumber', 100]] },
    { atUtcHours: 24.5, items: [['Chicken breast', 150], ['Quinoa', 200], ['Broccoli', 150]] },
  ],
  [
    { atUtcHours: 12, items: [['Egg white', 200], ['Bagel', 90]] },
    { atUtcHours: 17.5, items: [['Black beans', 150], ['Corn tortilla', 60], ['Avocado', 70]] },
    { atUtcHours: 21, items: [['Cottage cheese', 150], ['Pineapple', 100]] },
    { atUtcHours: 24.5, items: [['Cod', 200], ['Sweet potato', 250], ['Spinach', 80]] },
  ],
  [
    { atUtcHours: 12, items: [['Oats, rolled', 60], ['Skim milk', 250], ['Banana', 100]] },
    { atUtcHours: 17.5, items: [['Tofu', 200], ['Brown rice', 200], ['Edamame', 80]] },
    { atUtcHours: 24.5, items: [['Shrimp', 180], ['Spaghetti, whole-wheat', 250], ['Tomatoes', 120], ['Olive oil', 8]] },
  ],
];

export const demoMealSeeds: DemoMealSeed[] = [
  ...week(0, demoMemberIds.alex, 'Europe/Berlin', alexDays),
  ...week(1, demoMemberIds.sam, 'America/New_York', samDays),
];
