"""LLM plumbing shared by every generation mode: model files and the local llama.cpp server
(``model_files``, ``server``), the chat-model factory for any OpenAI-compatible endpoint
(``models``), the response cache (``cache``), the cost ledger (``ledger``), retries and the task
runner (``runner``) and the resumable run log (``runlog``).
"""
