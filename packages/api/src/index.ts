export const GROUP = 'kaito.sh';
