export const packageName = '@sprout/optim';
