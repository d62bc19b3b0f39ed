"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.CORE = void 0;
exports.CORE = 1;
//# sourceMappingURL=index.js.map