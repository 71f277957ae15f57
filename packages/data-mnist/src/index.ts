export const packageName = '@sprout/data-mnist';
