export const packageName = '@sprout/tensor';
