/** Vite's `?worker` imports: the module as a Worker constructor. */
declare module '*?worker' {
  const WorkerConstructor: new () => Worker;
  export default WorkerConstructor;
}
