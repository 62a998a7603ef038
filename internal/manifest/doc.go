// Package manifest reads Kubernetes manifests as a stream of documents:
// files, directories (recursively), or standard input; YAML with any number
// of documents, JSON (one or more values), `kind: List` and rendered Helm
// output (`helm template`, whose "# Source:" comments are kept).
//
// Reading is streaming: a file is split into documents as it is read and
// each document is decoded, handed over and dropped, so memory follows the
// largest document, not the size of the input. Files are read in parallel by
// a bounded number of workers.
//
// Nothing is dropped silently and nothing crashes the reader: a document
// that does not parse (a YAML syntax error, a scalar where a mapping should
// be, a document over the size limit, an unreadable file) is delivered as a
// Document with Err set, carrying its file and document index, and the
// reader moves on to the next document.
package manifest
