export { tasksModule } from "./tasks.module.ts";
export {
  type Assignees,
  cancelTasks,
  completeTask,
  createTask,
  insertTask,
  type NewTask,
  reassignTask,
  resolveAssignees,
  type TaskHooks,
  type TaskRow,
  taskHooks,
  toTaskDto,
} from "./tasks.service.ts";
