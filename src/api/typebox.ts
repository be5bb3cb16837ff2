// The TypeBox builders the API uses, imported by name: TypeBox's `Type` namespace re-exports every builder, so a
// bundle that imports it keeps all of TypeBox (104 KiB in the CLI's validate path); named imports let esbuild keep
// the few used here (~9 KiB), and `kokpit validate` starts sooner (npm run bench -- cli). A builder missing from
// this object is a compile error where it is used, so add it here.
import {
  Array as TArray,
  Boolean as TBoolean,
  Integer,
  Literal,
  Null,
  Object as TObject,
  Optional,
  String as TString,
  Union,
  Unsafe,
} from '@sinclair/typebox';

export const Type = {
  Array: TArray,
  Boolean: TBoolean,
  Integer,
  Literal,
  Null,
  Object: TObject,
  Optional,
  String: TString,
  Union,
  Unsafe,
};
