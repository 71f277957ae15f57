export const packageName = '@sprout/memwatch';
