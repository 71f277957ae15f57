export const packageName = '@sprout/schedule';
