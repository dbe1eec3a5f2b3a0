// Turning a type's flat JSON Schema into form fields, and the form's text values back into the
// answers the API expects (numbers as numbers, empty fields left out).
import type { FormProperty, FormSchema } from './applications';

export type FieldKind = 'enum' | 'number' | 'integer' | 'date' | 'textarea' | 'id-number' | 'mobile' | 'text';

export interface SchemaField {
  key: string;
  property: FormProperty;
  kind: FieldKind;
  title: string;
  required: boolean;
  options: string[];
}

function primaryType(property: FormProperty): string | undefined {
  return Array.isArray(property.type) ? property.type.find((type) => type !== 'null') : property.type;
}

export function fieldKind(property: FormProperty): FieldKind {
  if (Array.isArray(property.enum)) return 'enum';
  const type = primaryType(property);
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (property.format === 'date') return 'date';
  if (property.format === 'cn-id-number') return 'id-number';
  if (property.format === 'cn-mobile') return 'mobile';
  if ((property.maxLength ?? 0) > 60) return 'textarea';
  return 'text';
}

/**
 * The fields in display order. A schema stored as PostgreSQL jsonb comes back with its keys sorted
 * by length, not as written; `required` is an array and keeps the author's order, so required fields
 * come first in that order, then the optional ones as they arrive.
 */
function orderedKeys(schema: FormSchema): string[] {
  const properties = Object.keys(schema.properties ?? {});
  const first = (schema.required ?? []).filter((key) => properties.includes(key));
  return [...new Set([...first, ...properties])];
}

export function schemaFields(schema: FormSchema): SchemaField[] {
  const required = new Set(schema.required ?? []);
  return orderedKeys(schema)
    .map((key) => [key, schema.properties[key]] as const)
    .map(([key, property]) => ({
      key,
      property,
      kind: fieldKind(property),
      title: property.title ?? key,
      required: required.has(key),
      options: Array.isArray(property.enum) ? property.enum.map(String) : [],
    }));
}

/** The API's answers as the text the fields edit. */
export function formToValues(schema: FormSchema, form: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of Object.keys(schema.properties ?? {})) {
    const value = form[key];
    values[key] = value === undefined || value === null ? '' : String(value);
  }
  return values;
}

/**
 * The answers to send: empty fields are left out, number fields are sent as numbers (a value that is
 * not a number goes as typed, for the API to explain), everything else as text. A masked value the
 * API sent (`4401**********0125`) goes back unchanged, which keeps the stored value.
 */
export function valuesToForm(schema: FormSchema, values: Record<string, string>): Record<string, unknown> {
  const form: Record<string, unknown> = {};
  for (const field of schemaFields(schema)) {
    const raw = values[field.key];
    if (raw === undefined) continue;
    const text = field.kind === 'textarea' || field.kind === 'text' ? raw : raw.trim();
    if (text.trim() === '') continue;
    if (field.kind === 'number' || field.kind === 'integer') {
      const number = Number(text);
      form[field.key] = Number.isFinite(number) ? number : text;
    } else {
      form[field.key] = text;
    }
  }
  return form;
}
