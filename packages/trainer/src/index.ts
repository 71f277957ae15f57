export const packageName = '@sprout/trainer';
