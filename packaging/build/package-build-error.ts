/** A step of `npm run package` failed; the message names the step and the tool's first error line. */
export class PackageBuildError extends Error {
  readonly code = 'PACKAGE_BUILD_FAILED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PackageBuildError';
  }
}
