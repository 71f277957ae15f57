export const packageName = '@sprout/cli';
