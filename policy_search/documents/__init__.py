"""Files become Documents of Passages: the readers (text, PDF, HTML, office files, OCR), then
cleaning, structure and headings, passages, language, and the cache of what each file read as."""
