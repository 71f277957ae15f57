export const packageName = '@sprout/layers';
