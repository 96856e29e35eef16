package httpapi

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/statekit/statekit/ports"
)

// serverOpenAPI is the server's own part of the document: info, the operational routes, the security
// schemes and the components every module shares (Problem, the common parameters and responses).
//
//go:embed openapi.yaml
var serverOpenAPI []byte

// fragmentKeys are the top-level keys a module's fragment may hold.
var fragmentKeys = map[string]bool{"tags": true, "paths": true, "components": true}

// MergeOpenAPI merges the modules' fragments into the server's document, in module name order (so the
// document is the same on every start): tags appended, paths and each kind of components added. A path, a component (of one kind) or a tag declared twice, or a fragment with
// any other top-level key, is an error naming the modules.
func MergeOpenAPI(fragments []ports.OpenAPIFragment) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(serverOpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("openapi: server document: %w", err)
	}
	root := doc.Content[0]
	owners := map[string]string{} // "paths//v1/cart", "components/schemas/Cart", "tags/cart" -> module
	record := func(key, module string) error {
		if prev, dup := owners[key]; dup {
			return fmt.Errorf("openapi: %s declared by %s and %s", key, prev, module)
		}
		owners[key] = module
		return nil
	}
	if err := walkDocument(root, "server", record); err != nil {
		return nil, err
	}
	fragments = slices.Clone(fragments)
	slices.SortStableFunc(fragments, func(a, b ports.OpenAPIFragment) int { return strings.Compare(a.Module, b.Module) })
	var errs []error
	for _, f := range fragments {
		var frag yaml.Node
		if err := yaml.Unmarshal(f.YAML, &frag); err != nil {
			errs = append(errs, fmt.Errorf("openapi: module %s: %w", f.Module, err))
			continue
		}
		if len(frag.Content) == 0 || frag.Content[0].Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("openapi: module %s: fragment is not a mapping", f.Module))
			continue
		}
		top := frag.Content[0]
		for i := 0; i < len(top.Content); i += 2 {
			if key := top.Content[i].Value; !fragmentKeys[key] {
				errs = append(errs, fmt.Errorf("openapi: module %s: top-level key %q (want tags, paths, components)", f.Module, key))
			}
		}
		if err := walkDocument(top, f.Module, record); err != nil {
			errs = append(errs, err)
			continue
		}
		mergeInto(root, top)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return out.Bytes(), enc.Close()
}

// walkDocument records every tag, path and component a document declares.
func walkDocument(m *yaml.Node, module string, record func(key, module string) error) error {
	var errs []error
	if tags := value(m, "tags"); tags != nil {
		for _, t := range tags.Content {
			if name := value(t, "name"); name != nil {
				errs = append(errs, record("tag "+name.Value, module))
			}
		}
	}
	if paths := value(m, "paths"); paths != nil {
		for i := 0; i < len(paths.Content); i += 2 {
			errs = append(errs, record("path "+paths.Content[i].Value, module))
		}
	}
	if comps := value(m, "components"); comps != nil {
		for i := 0; i+1 < len(comps.Content); i += 2 {
			kind := comps.Content[i].Value
			for j := 0; j < len(comps.Content[i+1].Content); j += 2 {
				errs = append(errs, record("components/"+kind+"/"+comps.Content[i+1].Content[j].Value, module))
			}
		}
	}
	return errors.Join(errs...)
}

// mergeInto adds the fragment's tags, paths and components to the document (duplicates already refused).
func mergeInto(doc, frag *yaml.Node) {
	for _, key := range []string{"tags", "paths"} {
		if v := value(frag, key); v != nil {
			ensure(doc, key, v.Kind).Content = append(ensure(doc, key, v.Kind).Content, v.Content...)
		}
	}
	if comps := value(frag, "components"); comps != nil {
		into := ensure(doc, "components", yaml.MappingNode)
		for i := 0; i+1 < len(comps.Content); i += 2 {
			kind := ensure(into, comps.Content[i].Value, yaml.MappingNode)
			kind.Content = append(kind.Content, comps.Content[i+1].Content...)
		}
	}
}

// value returns the value of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// ensure returns the value of key in mapping m, adding an empty node of kind when m lacks it.
func ensure(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	if v := value(m, key); v != nil {
		return v
	}
	tag := "!!map"
	if kind == yaml.SequenceNode {
		tag = "!!seq"
	}
	v := &yaml.Node{Kind: kind, Tag: tag}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}
