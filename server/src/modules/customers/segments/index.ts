export { type CompiledCondition, type CompileOptions, compileCondition } from "./compile.ts";
export { parseSegment, printSegment, validateSegmentAst } from "./parse.ts";
export { segmentsRoutes } from "./segments.routes.ts";
export {
  countMatching,
  createSegment,
  deleteSegment,
  getSegment,
  listSegments,
  previewSegment,
  readExpression,
  refreshSegment,
  segmentMatchIds,
  segmentMemberIds,
  segmentMembers,
  segmentWhere,
  updateSegment,
} from "./segments.service.ts";
