import { GROUP } from './index.js';
it('names the kaito.sh group', () => expect(GROUP).toBe('kaito.sh'));
