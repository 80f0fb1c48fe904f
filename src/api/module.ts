// Entry of the API transport's own Storage file (API_MODULE, built by tools/api-module.ts): flashed only when
// alertmail.json has an api section and evaluated only then, so a board sending over SMTP carries none of it.
// The file is one expression whose value is the factory below.
import { boardHttp } from "../platform/http.ts";
import type { Timers } from "../platform/timers.ts";
import { createApiClient, type ApiClient } from "./client.ts";
import type { ApiSettings } from "./settings.ts";

/** The module's value (the build wraps the bundle as `(function(){var __amapi; … return __amapi})()`). */
declare let __amapi: (a: ApiSettings, timers: Timers, onIdle?: () => void) => ApiClient;
__amapi = function (a, timers, onIdle) {
  return createApiClient(a, boardHttp, timers, onIdle);
};
