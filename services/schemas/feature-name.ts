import { z } from 'zod';

/** qubesd's `admin.vm.feature.Set` charset for a feature name. `__proto__` is one, and must survive. */
export const FEATURE_NAME_RE = /^[A-Za-z0-9_.-]+$/;
/** qubesd takes printable ASCII values only. */
export const FEATURE_VALUE_RE = /^[\x20-\x7e]*$/;

export const FeatureName = z
  .string()
  .min(1, 'expected a feature name, got an empty one')
  .max(256, 'a feature name is at most 256 characters')
  .regex(FEATURE_NAME_RE, 'feature name must be letters, digits, "_", "." or "-"');
export const FeatureValue = z
  .string()
  .max(4096, 'a feature value is at most 4096 characters')
  .regex(FEATURE_VALUE_RE, 'feature value must be printable ASCII');
