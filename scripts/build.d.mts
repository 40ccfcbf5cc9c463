/** The repository root. */
export declare const root: string
/** Packages left out of the bundle (loaded from node_modules when used). */
export declare const external: ReadonlyArray<string>
/** Bundles `entryPoints` (relative to the repository) into `outdir` as `.mjs` files, with src/ assets beside them. */
export declare const bundle: (options: {
  readonly entryPoints: ReadonlyArray<string>
  readonly outdir: string
  readonly keepSourceUrls?: boolean
}) => Promise<void>
