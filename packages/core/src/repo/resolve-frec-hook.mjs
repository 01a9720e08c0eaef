// Module resolution hook: a feature repo outside this workspace imports '@frec/core' too.
// When normal resolution fails for an '@frec/*' specifier, resolve it from frec's own install.
let fallbackParent;

export function initialize(data) {
  fallbackParent = data.fallbackParent;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (specifier.startsWith('@frec/') && fallbackParent && err && err.code === 'ERR_MODULE_NOT_FOUND') {
      return nextResolve(specifier, { ...context, parentURL: fallbackParent });
    }
    throw err;
  }
}
