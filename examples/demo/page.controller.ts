// Serves the demo's pages.
import { fileURLToPath } from 'node:url';
import { Controller, Get, file } from 'eventide';

const page = (name: string) => fileURLToPath(new URL(`./public/${name}`, import.meta.url));

@Controller()
export class PageController {
  @Get()
  index() {
    return file(page('index.html'));
  }

  @Get('broadcast')
  broadcast() {
    return file(page('broadcast.html'));
  }
}
