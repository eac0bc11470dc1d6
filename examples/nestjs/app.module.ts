import { Module } from '@nestjs/common';
import { EventideModule } from 'eventide/nestjs';
import { NewsController, TokenGuard } from './news.controller.js';

@Module({
  imports: [EventideModule.forRoot({ heartbeatMs: 15_000 })], // provides Hub; closes streams on app.close()
  controllers: [NewsController],
  providers: [TokenGuard],
})
export class AppModule {}
